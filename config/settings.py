"""
Ferry's settings, read from the environment (see ``.env.example``).

With no configuration at all Ferry runs locally on SQLite with DEBUG off; the
demo (``make demo``) and the test suite switch on what they need through the
same variables.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    env.read_env(env_file)

# Demo mode wires Ferry to the local Salesforce emulator and relaxes the
# production-only requirements below (secret key, encryption keys, HTTPS).
DEMO_MODE = env.bool("FERRY_DEMO", default=False)
DEBUG = env.bool("DEBUG", default=False)

# A development key is only acceptable when nobody else can reach the server.
DEV_SECRET_KEY = "django-insecure-ferry-local-development-only"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or DEMO_MODE):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Ferry refuses to start with DEBUG off and no "
            "secret key: set SECRET_KEY to a long random string (for example the "
            "output of `python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
        )
    SECRET_KEY = DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "orgs",
    "sync",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the task worker share the file; wait for each
    # other's writes instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or DEMO_MODE
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}

# HTTPS hardening. On by default whenever DEBUG is off; a deployment behind a
# TLS-terminating proxy sets SECURE_PROXY_SSL_HEADER_ENABLED so Django trusts
# the proxy's X-Forwarded-Proto header.
HTTPS = env.bool("HTTPS", default=not (DEBUG or DEMO_MODE))
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
if env.bool("SECURE_PROXY_SSL_HEADER_ENABLED", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        },
    },
    "filters": {
        "redact_oauth": {"()": "config.log_filters.RedactOAuthParameters"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "stream": "ext://sys.stderr",
        },
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        # Request lines of the development server, without OAuth codes.
        "django.server": {
            "handlers": ["stderr"],
            "level": "INFO",
            "filters": ["redact_oauth"],
            "propagate": False,
        },
        # urllib3 logs every request line, query strings included; keep it
        # quiet so nothing sensitive reaches the log by accident.
        "urllib3": {"level": "WARNING"},
        "requests_oauthlib": {"level": "WARNING"},
        "oauthlib": {"level": "WARNING"},
    },
}

# Background work: Django's tasks API through the django-tasks backport, with
# a database-backed queue worked by `python manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    },
}

# --- Salesforce ---------------------------------------------------------------
# The default connected app, and the optional source/target apps that older
# deployments configured. More apps come from SALESFORCE_APPS (see
# orgs/connected_apps.py and the README for the format).
SALESFORCE_CLIENT_ID = env.str("SALESFORCE_CLIENT_ID", default="")
SALESFORCE_CLIENT_SECRET = env.str("SALESFORCE_CLIENT_SECRET", default="")
SALESFORCE_SOURCE_CLIENT_ID = env.str("SALESFORCE_SOURCE_CLIENT_ID", default="")
SALESFORCE_SOURCE_CLIENT_SECRET = env.str("SALESFORCE_SOURCE_CLIENT_SECRET", default="")
SALESFORCE_TARGET_CLIENT_ID = env.str("SALESFORCE_TARGET_CLIENT_ID", default="")
SALESFORCE_TARGET_CLIENT_SECRET = env.str("SALESFORCE_TARGET_CLIENT_SECRET", default="")
SALESFORCE_APPS = env.list("SALESFORCE_APPS", default=[])
SALESFORCE_CALLBACK_URL = env.str(
    "SALESFORCE_CALLBACK_URL", default="http://localhost:8000/orgs/oauth/callback/"
)
SALESFORCE_LOGIN_URL = env.str(
    "SALESFORCE_LOGIN_URL", default="https://login.salesforce.com"
)
SALESFORCE_SANDBOX_LOGIN_URL = env.str(
    "SALESFORCE_SANDBOX_LOGIN_URL", default="https://test.salesforce.com"
)
SALESFORCE_SCOPES = env.list(
    "SALESFORCE_SCOPES", default=["api", "refresh_token", "id"]
)
# The newest API version Ferry has been checked against; an org offering a
# newer one is used at this version.
SALESFORCE_API_VERSION_MAX = env.str("SALESFORCE_API_VERSION_MAX", default="66.0")
# Hosts Ferry will send tokens to. A leading dot matches any subdomain.
SALESFORCE_ALLOWED_HOSTS = env.list(
    "SALESFORCE_ALLOWED_HOSTS",
    default=[
        ".salesforce.com",
        ".force.com",
        ".cloudforce.com",
        ".site.com",
        ".salesforce.mil",
        ".sfcrmproducts.cn",
    ],
)
# Loopback hosts are where the local Salesforce emulator answers; they are
# never trusted outside the demo and the tests.
if DEMO_MODE:
    SALESFORCE_ALLOWED_HOSTS += ["127.0.0.1", "localhost"]
    # oauthlib insists on HTTPS; the emulator speaks plain HTTP on loopback.
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
SALESFORCE_CONNECT_TIMEOUT = env.float("SALESFORCE_CONNECT_TIMEOUT", default=10.0)
SALESFORCE_READ_TIMEOUT = env.float("SALESFORCE_READ_TIMEOUT", default=120.0)
# Base wait between retries of a failed Salesforce call (doubles each time).
SALESFORCE_RETRY_WAIT_SECONDS = env.float("SALESFORCE_RETRY_WAIT_SECONDS", default=0.5)
# Offline backfill of legacy rows: "00D...=3MVG...,00D...=3MVG..." pairs.
SALESFORCE_CLIENT_ID_BACKFILL = env.dict("SALESFORCE_CLIENT_ID_BACKFILL", default={})

# --- Token encryption ------------------------------------------------------------
# Fernet keys, newest first. Older keys still decrypt, so keys can be rotated:
# put a new key in front, then run `python manage.py reencrypt_tokens`.
DEMO_TOKEN_ENCRYPTION_KEY = "ZmVycnktZGVtby1vbmx5LWtleS1ub3QtZm9yLXVzZSE="  # noqa: S105
TOKEN_ENCRYPTION_KEYS = env.list("TOKEN_ENCRYPTION_KEYS", default=[])
if not TOKEN_ENCRYPTION_KEYS:
    if not DEMO_MODE:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEYS is not set. Ferry encrypts every Salesforce token "
            "at rest and needs at least one Fernet key. Generate one with `python -c "
            "'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'` and set TOKEN_ENCRYPTION_KEYS "
            "to it."
        )
    TOKEN_ENCRYPTION_KEYS = [DEMO_TOKEN_ENCRYPTION_KEY]
