"""SalesDesk settings: one module, driven by environment variables.

Every value that may differ between machines comes from the environment through the
small typed readers below, which fail loudly on a malformed value instead of guessing.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("SALESDESK_HOME", Path.cwd())).resolve()
VAR_DIR = BASE_DIR / "var"


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} is required.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"Environment variable {name}={raw!r} is not a yes/no value.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} is not an integer."
        ) from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


SALESDESK_ENV = env_str("SALESDESK_ENV", "development")
if SALESDESK_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"SALESDESK_ENV={SALESDESK_ENV!r}: expected development, test or production."
    )
PRODUCTION = SALESDESK_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env_str("SALESDESK_SECRET_KEY")
else:
    SECRET_KEY = env_str("SALESDESK_SECRET_KEY", "insecure-development-key-" + "x" * 40)
# Off unless asked for, in every environment: a debug page shows the settings and the
# traceback to whoever triggers an error, and `salesdesk serve` is reachable by others.
DEBUG = env_bool("SALESDESK_DEBUG", False)
ALLOWED_HOSTS = env_list("SALESDESK_ALLOWED_HOSTS", [] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env_list("SALESDESK_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "axes",
    "ninja",
    "salesdesk.core",
    "salesdesk.customers",
    "salesdesk.ledger",
    "salesdesk.imports",
    "salesdesk.collections",
    "salesdesk.compensation",
    "salesdesk.pipeline",
    "salesdesk.visits",
    "salesdesk.tiering",
    "salesdesk.analytics",
    "salesdesk.demo",
]

MIDDLEWARE = [
    # First: NUL characters and oversized bodies are refused before anything reads them.
    "salesdesk.core.middleware.RequestGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "salesdesk.core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "salesdesk.urls"
WSGI_APPLICATION = "salesdesk.wsgi.application"
ASGI_APPLICATION = "salesdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "salesdesk.core.context_processors.navigation",
            ],
        },
    }
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
DEFAULT_SQLITE_PATH = VAR_DIR / "salesdesk.sqlite3"
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}")
_database = dj_database_url.parse(DATABASE_URL)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    _database["OPTIONS"] = {
        # IMMEDIATE makes a writing transaction take the lock up front, so two writers
        # queue instead of failing half way with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA cache_size=-64000; PRAGMA temp_store=MEMORY;"
        ),
    }
    if _database["NAME"] and _database["NAME"] != ":memory:":
        Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
elif _database["ENGINE"] == "django.db.backends.postgresql":
    _database["CONN_MAX_AGE"] = 0  # the pool below holds connections, not Django
    _database["OPTIONS"] = {
        "pool": {"min_size": 1, "max_size": env_int("SALESDESK_DB_POOL", 10)},
        # Reports sort a million rows in one query: JIT compilation costs more than it
        # saves there, and 4 MB of work memory makes the sort spill to disk.
        "options": env_str("SALESDESK_PG_OPTIONS", "-c jit=off -c work_mem=64MB"),
    }
    _database["TEST"] = {"NAME": env_str("SALESDESK_TEST_DB_NAME", "test_salesdesk")}
DATABASES = {"default": _database}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    # Not a rule on the password: revokes the user's API tokens when it changes.
    {"NAME": "salesdesk.core.passwords.RevokeTokensOnPasswordChange"},
] + (
    [
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ]
    if PRODUCTION
    else []
)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "salesdesk.core.auth.DemoPasswordRefused",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("SALESDESK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env_bool("SALESDESK_LOGIN_THROTTLE", True)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["salesdesk.formats"]
TIME_ZONE = env_str("SALESDESK_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Only needed for `collectstatic` (e.g. to serve files from a web server in front).
STATIC_ROOT = os.environ.get("SALESDESK_STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the installed packages: `collectstatic` is optional.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SALESDESK_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SALESDESK_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Health probes talk plain HTTP to the app from the same host or network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Demo accounts share a well-known password; never accept it in production: not at
# sign-in (salesdesk.core.auth) and not when a password is set (user_upsert).
DEMO_PASSWORD = "demo"
DEMO_LOGIN_ALLOWED = not PRODUCTION

# Bodies other than file uploads: beyond this a request is answered 413 (the default,
# 2.5 MB, written out because the API documents it).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("SALESDESK_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500
