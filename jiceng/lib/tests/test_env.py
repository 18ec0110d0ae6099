"""Configuration from the environment (issue 10 item 5, issue 17 item 18): secrets from
*_FILE, DATABASE_URL in dj-database-url's forms, the development key refused over HTTPS,
and `jiceng serve`'s port from settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jiceng.lib.env import ConfigError, envsecret, parse_database_url

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("url", "engine", "name"),
    [
        ("postgres://u:p%40ss@db.example:5433/jiceng", "postgresql", "jiceng"),
        ("postgresql://u@127.0.0.1/county", "postgresql", "county"),
        ("pgsql://u@h/x", "postgresql", "x"),
        ("sqlite:///var/town.sqlite3", "sqlite3", "var/town.sqlite3"),
        ("sqlite:////srv/jiceng/town.sqlite3", "sqlite3", "/srv/jiceng/town.sqlite3"),
        ("sqlite://:memory:", "sqlite3", ":memory:"),
    ],
)
def test_database_url_forms(url, engine, name):
    db = parse_database_url(url)
    assert db["ENGINE"].endswith(engine) and db["NAME"] == name
    if engine == "postgresql" and "p%40ss" in url:
        assert db["PASSWORD"] == "p@ss" and db["PORT"] == "5433"
    if engine == "sqlite3":
        assert "PRAGMA journal_mode=WAL" in db["OPTIONS"]["init_command"]


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgress://h/db", "sqlite:///", "http://x"])
def test_an_unknown_or_empty_database_url_is_a_clear_error(url):
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        parse_database_url(url)


def test_secrets_come_from_a_file_too(tmp_path, monkeypatch):
    f = tmp_path / "key"
    f.write_text("s3cret-from-file\n", encoding="utf-8")
    monkeypatch.delenv("JICENG_X", raising=False)
    monkeypatch.setenv("JICENG_X_FILE", str(f))
    assert envsecret("JICENG_X") == "s3cret-from-file"
    monkeypatch.setenv("JICENG_X", "also")
    with pytest.raises(ConfigError, match="both"):
        envsecret("JICENG_X")
    monkeypatch.delenv("JICENG_X")
    monkeypatch.setenv("JICENG_X_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="JICENG_X_FILE"):
        envsecret("JICENG_X")


def _jiceng(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("JICENG_", "DATABASE_URL"))}
    base["JICENG_DATA_DIR"] = env.pop("data_dir")
    return subprocess.run(
        [sys.executable, "-m", "jiceng.cli", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_the_development_key_is_refused_over_https(tmp_path):
    r = _jiceng("check", data_dir=str(tmp_path), JICENG_HTTPS="true")
    assert r.returncode != 0 and "jiceng.E001" in r.stderr
    key = tmp_path / "secret"
    key.write_text("a-long-random-production-key-" + "x" * 40, encoding="utf-8")
    r = _jiceng(
        "check", data_dir=str(tmp_path), JICENG_HTTPS="true", JICENG_SECRET_KEY_FILE=str(key)
    )
    assert r.returncode == 0, r.stderr
    r = _jiceng("check", data_dir=str(tmp_path))
    assert r.returncode == 0 and "jiceng.W002" in r.stderr


def test_a_bad_setting_stops_start_up_with_its_name(tmp_path):
    for name, value in [
        ("JICENG_PORT", "eighty"),
        ("JICENG_PORT", "70000"),
        ("DATABASE_URL", "mysql://u@h/db"),
        ("JICENG_TRUSTED_PROXIES", "not-an-address"),
        ("JICENG_OPEN311_ENDPOINT_TYPE", "staging"),
    ]:
        r = _jiceng("check", data_dir=str(tmp_path), **{name: value})
        assert r.returncode != 0 and name in r.stderr, (name, r.stderr[-300:])


def test_jiceng_serve_takes_its_port_from_settings(settings, monkeypatch):
    import uvicorn
    from django.core.management import call_command

    from jiceng.core.management.commands import serve

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    settings.JICENG_PORT = 8123
    parser = serve.Command().create_parser("jiceng", "serve")
    opts = vars(parser.parse_args([]))
    call_command("serve", port=opts["port"], workers=1)
    assert seen["port"] == 8123
