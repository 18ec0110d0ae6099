"""Typed settings from the environment that reject bad values (as healthchecks does).

A mistyped setting must stop the platform at start-up with a clear message, not run
with a silent default.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlparse


class ConfigError(ValueError):
    pass


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def envsecret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/systemd credentials:
    the secret stays out of the process environment). Both set is a mistake."""
    path = os.environ.get(f"{name}_FILE")
    if not path:
        return os.environ.get(name, default)
    if os.environ.get(name):
        raise ConfigError(f"{name} and {name}_FILE are both set: keep one")
    try:
        with open(path, encoding="utf-8") as fh:
            value = fh.read().strip()
    except OSError as exc:
        raise ConfigError(f"{name}_FILE={path!r}: {exc.strerror or exc}") from None
    if not value:
        raise ConfigError(f"{name}_FILE={path!r} is empty")
    return value


def envbool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    low = raw.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r}: expected true/false")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected an integer") from None


def envfloat(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a number") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


SQLITE_OPTIONS = {
    # IMMEDIATE: a writer takes the lock at BEGIN, so two writers queue on
    # busy_timeout instead of failing with "database is locked" mid-transaction.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA busy_timeout=20000;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA cache_size=-64000;"
    ),
}


def sqlite_database(path: str) -> dict:
    """A Django DATABASES entry for the SQLite file at `path`."""
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": path, "OPTIONS": dict(SQLITE_OPTIONS)}


def parse_database_url(url: str, pool_size: int = 8) -> dict:
    """A Django DATABASES entry from the forms dj-database-url reads:

    - postgres://user:pass@host:port/name?opt=v (also postgresql://, pgsql://)
    - sqlite:///relative/path.sqlite3, sqlite:////absolute/path.sqlite3, sqlite://:memory:

    Any other scheme (mysql://, a typo) stops start-up with a message naming the choices.
    """
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        if parsed.netloc == ":memory:" or url == "sqlite://":
            return sqlite_database(":memory:")
        path = unquote(parsed.path)
        # sqlite:///rel → "/rel" (relative), sqlite:////abs → "//abs" (absolute)
        path = path[1:] if path.startswith("/") else path
        if not path:
            raise ConfigError("DATABASE_URL=sqlite:///…: the file path is missing")
        return sqlite_database(path)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        raise ConfigError(
            f"DATABASE_URL scheme {parsed.scheme!r} is not supported: use postgres://… "
            "(or postgresql://) for PostgreSQL, or sqlite:///path for SQLite"
        )
    name = unquote(parsed.path.lstrip("/"))
    if not name:
        raise ConfigError("DATABASE_URL has no database name")
    options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        # A bounded pool per server process (psycopg_pool): persistent per-thread
        # connections under ASGI grow with the thread pool and exhausted max_connections.
        "CONN_MAX_AGE": 0,
        "OPTIONS": {"pool": {"min_size": 1, "max_size": pool_size, "timeout": 20}, **options},
    }
