"""Settings for jiceng, read from the environment (see docs/configuration.md).

Every environment variable the platform reads is read here, through jiceng.lib.env (a bad
value stops start-up with a message); secrets may come from NAME_FILE instead of NAME.
SQLite is the zero-set-up default; DATABASE_URL=postgres://… switches to PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from jiceng.lib.clientip import parse_proxies
from jiceng.lib.env import (
    ConfigError,
    envbool,
    envfloat,
    envint,
    envlist,
    envsecret,
    envstr,
    parse_database_url,
    sqlite_database,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(envstr("JICENG_DATA_DIR", str(Path.cwd() / "var"))).resolve()

DEBUG = envbool("JICENG_DEBUG", False)
# A fixed development key only when nothing is configured; production sets JICENG_SECRET_KEY
# (the check jiceng.E001 refuses this key when JICENG_HTTPS is on).
DEVELOPMENT_SECRET_KEY = "jiceng-insecure-development-key-change-me-0123456789"
SECRET_KEY = envsecret("JICENG_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
# Key of the hash that finds a resident by ID number without storing it searchable in
# plain text. Keep it stable: changing it makes existing numbers unfindable until re-hashed.
JICENG_PII_KEY = envsecret("JICENG_PII_KEY", "")
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
    "jiceng.community",
    "jiceng.servicehall",
    "jiceng.command",
    "jiceng.assessment",
    "jiceng.dispatch",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # after WhiteNoise: static files stay cacheable; every view's answer gets CSP + no-store
    "jiceng.lib.security.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # LocaleMiddleware that ignores Accept-Language: Chinese unless chosen (decision 0051)
    "jiceng.lib.language.ChosenLanguageMiddleware",
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

_database_url = envsecret("DATABASE_URL")
if _database_url:
    DATABASES = {"default": parse_database_url(_database_url, envint("JICENG_DB_POOL_SIZE", 8))}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": sqlite_database(envstr("JICENG_SQLITE_PATH", str(DATA_DIR / "jiceng.sqlite3")))
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
# Forwarded headers (X-Forwarded-For) are believed only from these proxies (addresses or
# CIDR networks); otherwise the connecting address is the client (lockout, logs, throttles).
JICENG_TRUSTED_PROXIES = parse_proxies(envlist("JICENG_TRUSTED_PROXIES", []))
AXES_CLIENT_IP_CALLABLE = "jiceng.lib.clientip.client_ip"
# Lookups by a full phone or ID number (each logged): at most this many per user per window,
# counted in the database so every server process shares the count.
JICENG_LOOKUP_LIMIT = envint("JICENG_LOOKUP_LIMIT", 30)
JICENG_LOOKUP_WINDOW_MINUTES = envint("JICENG_LOOKUP_WINDOW_MINUTES", 10)

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
# Source strings are Chinese (the default needs no catalogue); English lives in
# jiceng/locale/en/LC_MESSAGES/django.po, compiled to .mo by ./dev (docs/decisions/0051).
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # the language switch is remembered for a year
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

# Redis: the shared cache and the command centre's fan-out across server processes.
JICENG_REDIS_URL = envsecret("JICENG_REDIS_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": JICENG_REDIS_URL}
        if JICENG_REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Optional map tiles behind the grid polygons (e.g. a county's own tile server). Empty: no tiles.
JICENG_MAP_TILE_URL = envstr("JICENG_MAP_TILE_URL", "")
JICENG_MAP_TILE_ATTRIBUTION = envstr("JICENG_MAP_TILE_ATTRIBUTION", "")
# The county this installation serves (its division code); set by `jiceng demo` or an admin.
JICENG_COUNTY_CODE = envstr("JICENG_COUNTY_CODE", "")
# Seconds between position reports of a grid worker on duty (command centre field view).
JICENG_TRACK_INTERVAL = envint("JICENG_TRACK_INTERVAL", 30)

# `jiceng serve`
JICENG_HOST = envstr("JICENG_HOST", "127.0.0.1")
JICENG_PORT = envint("JICENG_PORT", 8000)
JICENG_WORKERS = envint("JICENG_WORKERS", 0)  # 0: the number of CPUs, at most 4
if not 0 < JICENG_PORT < 65536:
    raise ConfigError(f"JICENG_PORT={JICENG_PORT}: expected 1–65535")

# The case loop (read by jiceng.cases; validated here at start-up)
JICENG_WORK_PERIODS = envstr("JICENG_WORK_PERIODS", "08:30-12:00,14:00-17:30")
JICENG_YELLOW_SHARE = envfloat("JICENG_YELLOW_SHARE", 0.8)
JICENG_CRITICAL_HOURS = envfloat("JICENG_CRITICAL_HOURS", 2.0)
JICENG_PHOTO_MAX_MB = envint("JICENG_PHOTO_MAX_MB", 8)
JICENG_MATERIAL_MAX_MB = envint("JICENG_MATERIAL_MAX_MB", 10)  # service-hall material uploads
JICENG_TRACK_LIMIT_PER_10MIN = envint("JICENG_TRACK_LIMIT_PER_10MIN", 20)
JICENG_SMS_BACKEND = envstr("JICENG_SMS_BACKEND", "console")
JICENG_SMS_FILE = envstr("JICENG_SMS_FILE", "var/sms.jsonl")
JICENG_SMS_URL = envstr("JICENG_SMS_URL", "")
JICENG_SMS_TOKEN = envsecret("JICENG_SMS_TOKEN", "")
# Messages per request to the HTTP gateway: 1 = one JSON object a request; more = a JSON
# list of up to that many, for a gateway that takes lists (decision 0081).
JICENG_SMS_BATCH = envint("JICENG_SMS_BATCH", 1)
# Seconds before a message claimed by a worker that died is claimed again (> the 10 s timeout).
JICENG_OUTBOX_LEASE_SECONDS = envint("JICENG_OUTBOX_LEASE_SECONDS", 300)

# Open311 (jiceng.open311.conf)
# assessment PDF report: a TrueType CJK font file embedded (as a subset) in the report;
# empty: the first of assessment.exports.FONT_FILES found (Debian's fonts-wqy-microhei,
# installed by ./dev); "builtin": reportlab's STSong-Light, not embedded (decision 0099)
JICENG_PDF_FONT = envstr("JICENG_PDF_FONT", "")
if JICENG_PDF_FONT not in ("", "builtin") and not Path(JICENG_PDF_FONT).is_file():
    raise ConfigError(f"JICENG_PDF_FONT={JICENG_PDF_FONT}: no such file (a .ttf/.ttc, or builtin)")

JICENG_OPEN311_JURISDICTION = envlist("JICENG_OPEN311_JURISDICTION", [])
JICENG_OPEN311_PUBLISH_CHANNELS = envlist("JICENG_OPEN311_PUBLISH_CHANNELS", ["open311"])
JICENG_OPEN311_CONTACT = envstr("JICENG_OPEN311_CONTACT", "区县综治中心（12345 热线）平台管理员")
JICENG_OPEN311_KEY_SERVICE = envstr(
    "JICENG_OPEN311_KEY_SERVICE",
    "向区县综治中心平台管理员申请 API 密钥（api_key）；管理员在“Open311 密钥”页面或用"
    " `jiceng open311 create-key 应用名称` 创建。",
)
JICENG_OPEN311_ENDPOINT_TYPE = envstr("JICENG_OPEN311_ENDPOINT_TYPE", "production")
if JICENG_OPEN311_ENDPOINT_TYPE not in ("production", "test"):
    raise ConfigError(
        f"JICENG_OPEN311_ENDPOINT_TYPE={JICENG_OPEN311_ENDPOINT_TYPE!r}: expected production or test"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_refusals": {"()": "jiceng.core.logs.QuietRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("JICENG_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["quiet_refusals"]},
    },
}
