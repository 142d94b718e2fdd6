"""TrainerDesk settings: one file, read from the environment, loud on bad values.

Every knob is an environment variable (documented in README). A value that cannot be
parsed stops start-up with a message naming the variable, instead of silently falling
back to a default nobody asked for.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no)")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in env_str(name, default).split(",") if part.strip()]


# All local state (SQLite database, media, the generated secret key) lives in one data
# directory outside the source tree, so a checkout never carries secrets or user data.
DATA_DIR = Path(
    env_str(
        "TRAINERDESK_DATA_DIR",
        str(Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local/share")) / "trainerdesk"),
    )
).expanduser()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    from_env = os.environ.get("TRAINERDESK_SECRET_KEY")
    if from_env:
        if len(from_env) < 32:
            raise ImproperlyConfigured("TRAINERDESK_SECRET_KEY must be at least 32 characters")
        return from_env
    path = DATA_DIR / "secret_key"
    try:
        # O_EXCL: when several processes start at once, exactly one writes the key and the
        # others read it, so they all sign sessions with the same key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if len(key) < 32:
            raise ImproperlyConfigured(f"{path} holds no usable secret key; delete it") from None
        return key
    key = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("TRAINERDESK_DEBUG", False)
ALLOWED_HOSTS = env_list("TRAINERDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("TRAINERDESK_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "axes",
    # Not "ninja": as an app it would be imported (with pydantic) by every process that
    # sets Django up, the task worker included; the API docs page renders the template in
    # templates/ninja/ itself (trainerdesk/api.py) and its static files are listed below.
    "trainerdesk.accounts",
    "trainerdesk.workbench",
    "trainerdesk.quality",
    "trainerdesk.careers",
    "trainerdesk.vetting",
    "trainerdesk.network",
    "trainerdesk.placements",
    "trainerdesk.privacy",
    "trainerdesk.contracts",
    "trainerdesk.billing",
    "trainerdesk.invoicing",
    "trainerdesk.payouts",
    "trainerdesk.evaluation",
    "trainerdesk.governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "trainerdesk.middleware.RequestIdMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "trainerdesk.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it sees the user and records failed logins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "trainerdesk.urls"
WSGI_APPLICATION = "trainerdesk.wsgi.application"

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
    }
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'trainerdesk.sqlite3'}")
try:
    _db = dj_database_url.parse(DATABASE_URL)
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a usable database URL: {exc}") from None
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # IMMEDIATE: a transaction takes the write lock when it starts, so two writers queue
        # on the busy timeout instead of failing with "database is locked" on lock upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        " PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;",
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db["CONN_HEALTH_CHECKS"] = True
else:
    raise ImproperlyConfigured(
        f"DATABASE_URL uses {_db['ENGINE']}; TrainerDesk supports sqlite:// and postgres://"
    )
# Reusing connections matters on SQLite too: opening one costs more than a typical query
# (Django registers its SQL functions and runs the PRAGMAs on every new connection).
_db["CONN_MAX_AGE"] = env_int("TRAINERDESK_DB_CONN_MAX_AGE", 600)
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workbench:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Brute-force protection: after 5 failures for a username from one address, that pair is
# locked for 15 minutes. Stored in the database so every server process sees it.
AXES_FAILURE_LIMIT = env_int("TRAINERDESK_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("TRAINERDESK_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# django-ninja's Swagger UI files (ninja/static/ninja/...), found without importing ninja.
_ninja = importlib.util.find_spec("ninja")
if _ninja is None or _ninja.origin is None:
    raise ImproperlyConfigured("django-ninja is not installed: run `make install`")
STATICFILES_DIRS = [BASE_DIR / "static", Path(_ninja.origin).parent / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Served straight from the app directories: no collectstatic step, so a fresh server
# starts in seconds.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env_str("TRAINERDESK_MEDIA_ROOT", str(DATA_DIR / "media"))).expanduser()
MEDIA_URL = "/media/"

# Images (workbench/images.py documents how items refer to them). Uploaded images are
# stored under MEDIA_ROOT; TRAINERDESK_IMAGE_ROOT (unset = disabled) is a directory on the
# server whose files items may name by relative path; http(s) images in items are loaded by
# the annotator's browser, never by the server, from the CSP sources listed in
# TRAINERDESK_IMAGE_URL_SOURCES (comma-separated, e.g. "https:" or
# "https://images.example.org"; empty = no external images).
MAX_IMAGE_BYTES = env_int("TRAINERDESK_MAX_IMAGE_MB", 25, minimum=1) * 1024 * 1024
MAX_IMAGE_PIXELS = env_int("TRAINERDESK_MAX_IMAGE_PIXELS", 50_000_000, minimum=1)
MAX_IMAGE_SIDE = env_int("TRAINERDESK_MAX_IMAGE_SIDE", 20_000, minimum=1)
_image_root = env_str("TRAINERDESK_IMAGE_ROOT", "").strip()
IMAGE_ROOT = Path(_image_root).expanduser() if _image_root else None
if IMAGE_ROOT is not None and not IMAGE_ROOT.is_dir():
    raise ImproperlyConfigured(f"TRAINERDESK_IMAGE_ROOT={_image_root!r} is not a directory")
IMAGE_URL_SOURCES = env_list("TRAINERDESK_IMAGE_URL_SOURCES", "https:")
for _source in IMAGE_URL_SOURCES:
    if _source in ("*", "'unsafe-inline'", "'unsafe-eval'") or any(c in _source for c in " ;'"):
        raise ImproperlyConfigured(
            f"TRAINERDESK_IMAGE_URL_SOURCES: {_source!r} is not a CSP host source "
            "(use e.g. https: or https://images.example.org)"
        )

# Security headers. HTTPS-only flags follow TRAINERDESK_HTTPS because the default set-up
# serves plain HTTP on localhost.
HTTPS = env_bool("TRAINERDESK_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *IMAGE_URL_SOURCES],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

TASKS_BACKEND = env_str("TRAINERDESK_TASKS_BACKEND", "database")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TRAINERDESK_TASKS_BACKEND={TASKS_BACKEND!r}; expected one of {', '.join(_TASK_BACKENDS)}"
    )
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}

# Webhooks: attempts per delivery, the first retry's delay (doubling after each failure),
# and the time a receiver has to answer.
WEBHOOK_MAX_ATTEMPTS = env_int("TRAINERDESK_WEBHOOK_MAX_ATTEMPTS", 5, minimum=1)
WEBHOOK_RETRY_SECONDS = env_int("TRAINERDESK_WEBHOOK_RETRY_SECONDS", 30)
WEBHOOK_TIMEOUT_SECONDS = env_int("TRAINERDESK_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# Webhooks to loopback/private/link-local addresses are refused unless this is on.
WEBHOOK_ALLOW_PRIVATE = env_bool("TRAINERDESK_WEBHOOK_ALLOW_PRIVATE", False)

# Product limits.
LEASE_MINUTES = env_int("TRAINERDESK_LEASE_MINUTES", 30, minimum=1)
MAX_UPLOAD_BYTES = env_int("TRAINERDESK_MAX_UPLOAD_MB", 1024, minimum=1) * 1024 * 1024
MAX_ITEM_BYTES = env_int("TRAINERDESK_MAX_ITEM_KB", 1024, minimum=1) * 1024
# Larger batches touch each page of the content-hash index fewer times per commit
# (measured: 1M items in 40 s with 5,000-row batches, 28 s with 20,000).
IMPORT_BATCH_SIZE = env_int("TRAINERDESK_IMPORT_BATCH_SIZE", 20000, minimum=1)
# A running import (or other background run) not heard from for this long is taken as
# dead (its worker was killed) and marked failed: longer than any one batch can take.
STALE_RUN_SECONDS = env_int("TRAINERDESK_STALE_RUN_SECONDS", 600, minimum=1)
# SQLite full-text index: update it in each import batch (True) or in the worker after
# the import (False). Settled by bench/bench_import.py, see docs/benchmarks.md.
SEARCH_INDEX_INLINE = env_bool("TRAINERDESK_SEARCH_INDEX_INLINE", False)

# Anyone may create an account at /accounts/signup/ (prospective members and candidates
# of the placement network need one before they apply or take an assessment). An account
# alone grants nothing: projects, organisations and the network each decide. Off: only
# `trainerdesk createuser`, an organisation owner or staff make accounts.
SIGNUP_OPEN = env_bool("TRAINERDESK_SIGNUP_OPEN", True)
# Uploads above this stay on disk while Django reads them instead of in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Exports streaming at once per web process (lib/streams.py): below `serve --threads` (4),
# so pages are still answered while big files download to slow clients.
MAX_DOWNLOADS = env_int("TRAINERDESK_MAX_DOWNLOADS", 2, minimum=1)

# Invoicing: the platform as the supplier printed on every invoice (VAT Directive
# Art. 226 (3), (5)); checked when an invoice is drafted (invoicing/supplier.py).
INVOICE_SUPPLIER = {
    "name": env_str("TRAINERDESK_SUPPLIER_NAME", "TrainerDesk Network GmbH"),
    "street": env_str("TRAINERDESK_SUPPLIER_STREET", "Stephansplatz 1"),
    "postal_code": env_str("TRAINERDESK_SUPPLIER_POSTAL_CODE", "1010"),
    "city": env_str("TRAINERDESK_SUPPLIER_CITY", "Wien"),
    "country": "AT",
    # A placeholder that passes the ATU checksum; set the real one in production.
    "vat_id": env_str("TRAINERDESK_SUPPLIER_VAT_ID", "ATU12345675"),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("TRAINERDESK_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Payouts to members (trainerdesk/payouts): the platform's own account, the debtor of every
# SEPA credit transfer file. The default is a placeholder at Erste Bank (a valid IBAN, so
# demo files validate); production sets its real account. The IBAN and BIC are checked with
# schwifty when a file is built (payouts/sepa.py), not here: settings load in every
# process and the worker has no use for the bank registry.
PAYOUT_DEBTOR_NAME = env_str("TRAINERDESK_PAYOUT_DEBTOR_NAME", "TrainerDesk Network GmbH")
PAYOUT_DEBTOR_IBAN = env_str("TRAINERDESK_PAYOUT_DEBTOR_IBAN", "AT592011100000123456")
PAYOUT_DEBTOR_BIC = env_str("TRAINERDESK_PAYOUT_DEBTOR_BIC", "GIBAATWWXXX")
# The payment rail payouts are sent through (a dotted path to a PaymentRail class).
PAYOUT_RAIL = env_str("TRAINERDESK_PAYOUT_RAIL", "trainerdesk.payouts.rails.SepaFileRail")
