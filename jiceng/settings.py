"""Settings for jiceng, read from the environment (see docs/configuration.md).

SQLite is the zero-set-up default; DATABASE_URL=postgres://… switches to PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from jiceng.lib.env import envbool, envint, envlist, envstr, parse_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(envstr("JICENG_DATA_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = envbool("JICENG_DEBUG", False)
# A fixed development key only when nothing is configured; production sets JICENG_SECRET_KEY.
SECRET_KEY = envstr("JICENG_SECRET_KEY", "jiceng-insecure-development-key-change-me-0123456789")
# Key of the hash that finds a resident by ID number without storing it searchable in
# plain text. Keep it stable: changing it makes existing numbers unfindable until re-hashed.
JICENG_PII_KEY = envstr("JICENG_PII_KEY", "")
ALLOWED_HOSTS = envlist("JICENG_ALLOWED_HOSTS", ["*"])
CSRF_TRUSTED_ORIGINS = envlist("JICENG_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "ninja",  # serves Swagger UI from its own static files (no CDN)
    "jiceng.core",
    "jiceng.accounts",
    "jiceng.territory",
    "jiceng.people",
    "jiceng.cases",
    "jiceng.open311",
    "jiceng.dispatch",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Axes last: it must see the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jiceng.urls"
WSGI_APPLICATION = "jiceng.wsgi.application"
ASGI_APPLICATION = "jiceng.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jiceng.accounts.context.navigation",
            ],
        },
    },
]

_database_url = envstr("DATABASE_URL")
if _database_url:
    DATABASES = {"default": parse_database_url(_database_url, envint("JICENG_DB_POOL_SIZE", 8))}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": envstr("JICENG_SQLITE_PATH", str(DATA_DIR / "jiceng.sqlite3")),
            "OPTIONS": {
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
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = envint("JICENG_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("JICENG_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Sessions and CSRF: cookies never readable from scripts; Secure when served over HTTPS.
_https = envbool("JICENG_HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _https
SESSION_COOKIE_AGE = envint("JICENG_SESSION_HOURS", 12) * 3600
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "jiceng.views.csrf_failure"
CSRF_COOKIE_SECURE = _https
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if _https:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on a missing root
# Serve straight from the apps' static folders: no collectstatic step for a demo.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(envstr("JICENG_MEDIA_ROOT", str(DATA_DIR / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("JICENG_UPLOAD_MAX_MB", 20) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

_redis_url = envstr("JICENG_REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url}
        if _redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Optional map tiles behind the grid polygons (e.g. a county's own tile server). Empty: no tiles.
JICENG_MAP_TILE_URL = envstr("JICENG_MAP_TILE_URL", "")
JICENG_MAP_TILE_ATTRIBUTION = envstr("JICENG_MAP_TILE_ATTRIBUTION", "")
# The county this installation serves (its division code); set by `jiceng demo` or an admin.
JICENG_COUNTY_CODE = envstr("JICENG_COUNTY_CODE", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("JICENG_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
