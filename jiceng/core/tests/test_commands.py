from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jiceng.accounts.models import ApiToken
from jiceng.lib.env import ConfigError, envbool, envint, parse_database_url


@pytest.mark.django_db
def test_create_token_prints_a_working_key_as_its_last_line(users):
    out = StringIO()
    call_command("create_token", "street", "bench", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    assert ApiToken.user_for(key) == users.street


@pytest.mark.django_db
def test_create_token_refuses_an_unknown_user(users):
    with pytest.raises(CommandError, match="不存在"):
        call_command("create_token", "nobody")


@pytest.mark.django_db
def test_the_api_answers_with_a_token_and_refuses_without(users, client):
    _, key = ApiToken.issue(users.street, "t")
    assert client.get("/api/v1/health").json() == {"ok": True}
    resp = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert resp.status_code == 200
    assert resp.json()["scope"]["code"] == "610921001"
    refused = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer jc_wrong")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"
    assert "登录" in refused.json()["error"]["message"]
    assert client.get("/api/v1/openapi.json").status_code == 200


@pytest.mark.parametrize(
    "raw,expected",
    [("1", True), ("true", True), ("Yes", True), ("0", False), ("off", False), ("", False)],
)
def test_envbool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert envbool("X_FLAG") is expected


def test_bad_settings_stop_with_a_message(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ConfigError):
        envbool("X_FLAG")
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ConfigError):
        envint("X_INT", 1)
    with pytest.raises(ConfigError):
        parse_database_url("mysql://h/db")
    with pytest.raises(ConfigError):
        parse_database_url("postgres://h:5432/")


def test_database_url_becomes_a_django_database():
    db = parse_database_url("postgres://u:p%40ss@db.example:6543/jiceng?sslmode=require")
    assert db["NAME"] == "jiceng" and db["PASSWORD"] == "p@ss" and db["PORT"] == "6543"
    assert db["OPTIONS"]["sslmode"] == "require"
    # connections come from a bounded pool, never one kept per thread
    assert db["CONN_MAX_AGE"] == 0 and db["OPTIONS"]["pool"]["max_size"] == 8


@pytest.mark.parametrize(
    "message,expected",
    [
        ("no such table: territory_region", "jiceng migrate"),
        ('relation "territory_region" does not exist', "jiceng migrate"),
        ("connection refused", "DATABASE_URL"),
    ],
)
def test_the_command_explains_a_database_problem_instead_of_a_traceback(
    monkeypatch, capsys, message, expected
):
    import django.core.management
    from django.db.utils import OperationalError

    from jiceng import cli

    def broken(argv):
        raise OperationalError(message)

    monkeypatch.setattr(django.core.management, "execute_from_command_line", broken)
    with pytest.raises(SystemExit) as stop:
        cli.main(["jiceng", "import-divisions", "x"])
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert expected in err and message in err and "Traceback" not in err
