"""Rådtid settings: one module, driven by the environment (12-factor).

Every variable is listed with a comment in `.env.example`. The defaults give
the embedded mode (SQLite, a filesystem broker, mail as files), which needs no
server but Python; production sets URLs. A missing or malformed variable stops
start-up with ImproperlyConfigured naming it.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import overload
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("RADTID_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_bool(name: str, default: bool) -> bool:
    """A boolean variable; anything but a clear yes or no stops start-up."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


@overload
def env_url(name: str, default: str, schemes: set[str]) -> str: ...
@overload
def env_url(name: str, default: str | None, schemes: set[str]) -> str | None: ...
def env_url(name: str, default: str | None, schemes: set[str]) -> str | None:
    """A URL variable whose scheme must be one of `schemes`."""
    raw = os.environ.get(name) or default
    if raw is None:
        return None
    scheme = urlsplit(raw).scheme
    if scheme not in schemes or "://" not in raw:
        raise ImproperlyConfigured(
            f"{name} is malformed: expected a URL starting with one of "
            f"{', '.join(sorted(s + '://' for s in schemes))}, got {raw!r}."
        )
    return raw


def env_rate(name: str, default: str) -> str | None:
    """A DRF throttle rate such as "10/min" (number/second, minute, hour or
    day); "off" lifts the limit."""
    raw = (os.environ.get(name) or default).strip().lower()
    if raw == "off":
        return None
    number, _slash, period = raw.partition("/")
    if not number.isdigit() or not period or period[0] not in "smhd":
        raise ImproperlyConfigured(f"{name} must be a rate such as 10/min or 100/hour, or off; not {raw!r}.")
    return raw


# Behind our own TLS proxy (TRUSTED_PROXY=1), how many proxies append to
# X-Forwarded-For; the client's address is the one the outermost of them saw.
TRUSTED_PROXY = env_bool("TRUSTED_PROXY", False)
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1) if TRUSTED_PROXY else 0
if TRUSTED_PROXY and TRUSTED_PROXY_COUNT < 1:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 1 or more when TRUSTED_PROXY is on.")


# --- Core -------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", True)


def development_site_url(host: str, port: str) -> str:
    """Where the development server of `make run HOST=… PORT=…` is reached, so
    that mailed links lead back to it. A wildcard bind address is reached on
    loopback; an IPv6 address goes in brackets."""
    host = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host  # noqa: S104 (a name, not a bind)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port or '8000'}"


# In development SITE_URL follows HOST and PORT, which `make run` passes on.
_site_url = env_url(
    "SITE_URL",
    development_site_url(os.environ.get("HOST", ""), os.environ.get("PORT", "")) if DEBUG else None,
    {"http", "https"},
)
if _site_url is None:
    raise ImproperlyConfigured(
        "SITE_URL is required when DJANGO_DEBUG is off (e.g. https://radtid.example.se)."
    )
SITE_URL = _site_url.rstrip("/")
SITE_DOMAIN = urlsplit(SITE_URL).hostname or "localhost"
HTTPS = urlsplit(SITE_URL).scheme == "https"

SECRET_KEY = os.environ.get("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DJANGO_DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-for-the-embedded-mode-do-not-use-in-production"

if os.environ.get("ALLOWED_HOSTS"):
    ALLOWED_HOSTS = [h.strip() for h in os.environ["ALLOWED_HOSTS"].split(",") if h.strip()]
elif DEBUG:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
    _site_host = f"[{SITE_DOMAIN}]" if ":" in SITE_DOMAIN else SITE_DOMAIN
    if _site_host not in ALLOWED_HOSTS:
        ALLOWED_HOSTS.append(_site_host)  # `make run HOST=radtid.local`
else:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is required when DJANGO_DEBUG is off (comma-separated host names)."
    )

CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "backend",
    "advisors",
    "bookings",
    "reporting",
    "notifications",
    "demo",
]

MIDDLEWARE = [
    # First, so every response (redirects, errors) and log line has the id.
    "backend.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A NUL in a URL argument: 404, not a database error (backend/middleware.py).
    "backend.middleware.NulInURLMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response.
    "csp.middleware.CSPMiddleware",
    "backend.middleware.PermissionsPolicyMiddleware",
    # Staff reach the admin only with two-factor authentication set up.
    "backend.middleware.AdminRequiresMFAMiddleware",
    # A database that does not answer: 503 with a page that says so, not a 500.
    "backend.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"
ASGI_APPLICATION = "backend.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

DATABASE_URL = env_url(
    "DATABASE_URL",
    f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
    {"sqlite", "postgres", "postgresql", "pgsql"},
)
try:
    _db = environ.Env.db_url_config(DATABASE_URL)
except Exception as exc:  # django-environ raises several types for bad URLs
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from exc
if not _db.get("ENGINE") or not _db.get("NAME"):
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: no database name in {DATABASE_URL!r}.")
if _db["ENGINE"] == "django.db.backends.sqlite3":
    if _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE takes the write lock when a transaction begins, so two bookings
    # cannot both read "free" and then both write (invariant 1 on SQLite). WAL
    # lets readers go on while one writer holds it; the timeout makes writers
    # queue instead of failing with "database is locked" (then a 503). SQLite's
    # queue is not first come, first served: under a flood a writer can lose
    # the lock again and again, so the race tests wait longer.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_LOCK_TIMEOUT", 20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The statistics' covering index (bookings.Booking, booking_region_start)
    # INCLUDEs two columns for PostgreSQL's index-only scans. SQLite builds the
    # index without them and answers the same queries from the table, so its
    # warning about them (models.W040, printed by every migrate) asks nothing of us.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
# A connection is reused across requests: opening one costs more than the
# slots request it serves (on SQLite too, whose connect runs the PRAGMAs above).
_db["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
_db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------

REDIS_URL = env_url("REDIS_URL", None, {"redis", "rediss"})
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "radtid",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# With DEBUG off the cache must be shared by every process (rate limits count in
# it): without REDIS_URL, backend/checks.py stops `check`, migrate, runserver and
# the WSGI/ASGI app. PER_PROCESS_CACHE=1 accepts a cache per process anyway, for
# a server of one process or a throwaway stack that does not test rate limits.
PER_PROCESS_CACHE = env_bool("PER_PROCESS_CACHE", False)

# --- Accounts ---------------------------------------------------------------

AUTH_USER_MODEL = "backend.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "backend.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Rådtid] "
# allauth's forms in our words, sign-up with the name and the language of mail
# (backend/forms.py); its pages and mails are ours too (templates/account/).
ACCOUNT_FORMS = {
    "login": "backend.forms.LoginForm",
    "signup": "backend.forms.SignupForm",
    "add_email": "backend.forms.AddEmailForm",
    "change_password": "backend.forms.ChangePasswordForm",
    "set_password": "backend.forms.SetPasswordForm",
    "reset_password": "backend.forms.ResetPasswordForm",
    "reset_password_from_key": "backend.forms.ResetPasswordKeyForm",
    "reauthenticate": "backend.forms.ReauthenticateForm",
}
# Choosing a password from a mailed link signs the person in: an invited
# advisor lands on their calendar (backend.adapters.landing_url), not on a
# page asking them to sign in with the password they have just chosen.
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
# allauth's default rate limits (login failures, sign-ups, resets, …) are kept;
# they count in the cache above, shared across processes by REDIS_URL.
# They count per client address: X-Forwarded-For is read only behind our own
# proxies (TRUSTED_PROXY=1), else anyone could pose as a new client each time.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Rådtid"
# The two-factor pages in our words and look too (templates/mfa/, backend/forms.py).
MFA_ADAPTER = "backend.adapters.MFAAdapter"
MFA_FORMS = {
    "authenticate": "backend.forms.MFAAuthenticateForm",
    "reauthenticate": "backend.forms.MFAReauthenticateForm",
    "activate_totp": "backend.forms.MFAActivateTOTPForm",
}

# --- Internationalisation ---------------------------------------------------

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
# Dates and times as each language writes them ("tisdag 8 december 2026 kl. 10.00",
# "Tuesday 8 December 2026, 10:00"): use the named formats, DATETIME_FORMAT etc.
FORMAT_MODULE_PATH = ["backend.formats"]
USE_TZ = True

# --- Static files -----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing folder
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic (DEBUG off) keeps only the hashed names the pages link to and
# compresses none of the vendors' source maps, which only a developer's tools
# fetch: half the files, and a third of the time, it would otherwise compress.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Email ------------------------------------------------------------------

EMAIL_URL = env_url(
    "EMAIL_URL",
    f"filemail://{VAR_DIR / 'mail'}",
    {"smtp", "smtps", "smtp+tls", "smtp+ssl", "filemail", "consolemail", "memorymail", "dummymail"},
)
try:
    _email = environ.Env.email_url_config(EMAIL_URL)
except Exception as exc:
    raise ImproperlyConfigured(f"EMAIL_URL is malformed: {exc}") from exc
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
if EMAIL_URL.startswith("filemail://"):
    # One .eml file a message, so the DEBUG mail viewer and mail clients can
    # open them. (django-environ drops the leading slash of the path.)
    EMAIL_BACKEND = "backend.mail.EmlFileBackend"
    EMAIL_FILE_PATH = urlsplit(EMAIL_URL).path or str(VAR_DIR / "mail")
    Path(EMAIL_FILE_PATH).mkdir(parents=True, exist_ok=True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"Rådtid <noreply@{SITE_DOMAIN}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -----------------------------------------------------------------

CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", "filesystem://", {"filesystem", "redis", "rediss", "memory"})
BROKER_IS_FILESYSTEM = CELERY_BROKER_URL.startswith("filesystem://")
if BROKER_IS_FILESYSTEM:
    _broker_dir = VAR_DIR / "broker"
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Redis may be away for a while; bookings must not wait on it (the outbox row
    # is the truth), so publishing gives up quickly and the beat sweep catches up.
    # socket_timeout too: a Redis that accepts connections and never answers
    # (stopped, swapping) must not hold a booking's request for ever.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
    CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
# Celery's Django fixup closes the database connection around every task unless
# this is set; reopening it for each mail halves the outbox's throughput on
# PostgreSQL. The connection is still recycled after this many tasks, and
# close_if_unusable (backend/celery.py) drops one that broke.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
CELERY_TIMEZONE = TIME_ZONE
# Each worker answers a heartbeat task a minute (backend/tasks.py); the status
# page and /healthz report a failing check when no worker has answered for
# WORKER_HEARTBEAT_MAX_AGE_SECONDS (stopped, stuck, or beat not sending).
WORKER_HEARTBEAT_SECONDS = 60
WORKER_HEARTBEAT_MAX_AGE_SECONDS = env_int("WORKER_HEARTBEAT_MAX_AGE_SECONDS", 300)
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-messages": {"task": "notifications.tasks.dispatch_due_messages", "schedule": 60},
    "record-worker-heartbeat": {
        "task": "backend.tasks.record_worker_heartbeat",
        "schedule": WORKER_HEARTBEAT_SECONDS,
        # One that waited longer than that in a queue says nothing any more.
        "options": {"expires": WORKER_HEARTBEAT_SECONDS},
    },
    "sync-busy-calendars": {"task": "advisors.tasks.sync_busy_calendars", "schedule": 15 * 60},
    "expire-waitlist-offers": {"task": "bookings.tasks.expire_waitlist_offers", "schedule": 60},
    "record-follow-up-surveys": {
        "task": "notifications.tasks.record_follow_up_surveys",
        "schedule": crontab(hour=9, minute=15),
    },
    "clean-up-outbox": {
        "task": "notifications.tasks.clean_up_outbox",
        "schedule": crontab(hour=3, minute=45),
    },
    "pseudonymise-old-bookings": {
        "task": "bookings.tasks.pseudonymise_old_bookings",
        "schedule": crontab(hour=3, minute=30),
    },
    "refresh-statistics-months": {
        "task": "reporting.tasks.refresh_statistics_months",
        "schedule": crontab(hour=2, minute=30),
    },
    "send-monthly-statistics": {
        "task": "reporting.tasks.send_monthly_reports",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
}

# --- API --------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backend.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "backend.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # drf-spectacular's, documenting the error answers too (backend/openapi.py).
    "DEFAULT_SCHEMA_CLASS": "backend.openapi.AutoSchema",
    # DRF's three, refusing JSON nested too deep and NUL in any field (backend/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "backend.parsers.JSONParser",
        "backend.parsers.FormParser",
        "backend.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Views name a scope (backend/throttling.py); over its rate: 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["backend.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env_rate("THROTTLE_TOKEN", "10/min"),  # password guessing through the API
        "booking_create": env_rate("THROTTLE_BOOKING_CREATE", "30/hour"),
        "directory": env_rate("THROTTLE_DIRECTORY", "120/min"),
        "slots": env_rate("THROTTLE_SLOTS", "120/min"),
    },
    # The client address for throttles: X-Forwarded-For only behind our own
    # proxies (as for allauth below); otherwise the connection's address.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    # Domain errors (backend/errors.py) answer 400/403/404/409 the same way everywhere.
    "EXCEPTION_HANDLER": "backend.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rådtid API",
    "DESCRIPTION": "Booking of advice sessions for social enterprises in Sweden.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security ---------------------------------------------------------------

# HTTPS behaviour follows SITE_URL's scheme, so the same settings also serve
# plain HTTP on loopback (the contract check, `make run` with DEBUG off).
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere (JS and CSS live in static/); the API docs
# view widens this for itself only (backend/urls.py). frame-ancestors 'none'
# is X_FRAME_OPTIONS for browsers that read CSP.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: for the QR code of the two-factor set-up (allauth.mfa).
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Features no page here uses are switched off for the page and anything it embeds.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "accelerometer=(), gyroscope=(), magnetometer=(), interest-cohort=()"
)
# Staff without an activated authenticator (allauth.mfa) are sent from the
# admin to set one up (backend.middleware.AdminRequiresMFAMiddleware).
ADMIN_REQUIRES_MFA = env_bool("ADMIN_REQUIRES_MFA", True)
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SAMESITE = "Lax"
if TRUSTED_PROXY:
    # Only behind a proxy we run: otherwise anyone could claim HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging ----------------------------------------------------------------

# One JSON object a line in production (for a log collector), plain lines in
# development; both carry the request id (backend/observability.py), in web
# and worker alike.
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "backend.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "backend.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# --- Rådtid -----------------------------------------------------------------

# Notifications: reminders this many hours before a session; a reminder more
# than REMINDER_LATE_LIMIT late is marked missed instead of sent; the feedback
# request goes this many hours after the end; SMTP retries wait these seconds.
REMINDER_HOURS = (24, 2)
REMINDER_LATE_LIMIT_MINUTES = 120
FEEDBACK_REQUEST_DELAY_HOURS = 1
EMAIL_RETRY_BACKOFF_SECONDS = (60, 300, 900, 3600, 3 * 3600, 12 * 3600)
# A message claimed by a worker that died stays "sending"; after this long the
# sweep hands it out again (a kill after the SMTP accept may repeat one mail).
OUTBOX_CLAIM_TIMEOUT_SECONDS = 300
# Outbox rows that are done (sent, cancelled, missed) are deleted after this
# many days; failed ones stay until staff resend or delete them.
OUTBOX_KEEP_DAYS = env_int("OUTBOX_KEEP_DAYS", 180)
# The outcome follow-up survey, this many days after an enterprise's first
# session; a stopped beat catches up on sessions up to CATCH_UP days older.
FOLLOW_UP_AFTER_DAYS = 90
FOLLOW_UP_CATCH_UP_DAYS = 30

# Waitlist: how long the first in line may claim a freed slot.
WAITLIST_CLAIM_HOURS = env_int("WAITLIST_CLAIM_HOURS", 12)

# Fair access: how many upcoming sessions one person may hold at once.
BOOKING_MAX_UPCOMING = env_int("BOOKING_MAX_UPCOMING", 3)

# Retention: bookings that ended this many months ago are pseudonymised each
# night (bookings.tasks.pseudonymise_old_bookings); statistics keep their facts.
RETENTION_MONTHS = env_int("RETENTION_MONTHS", 36)

# Statistics: a count of 1 to (this − 1) enterprises or people is shown as "<this"
# (invariant 5 of DESIGN.md); see reporting.suppression.
STATISTICS_SUPPRESSION_THRESHOLD = env_int("STATISTICS_SUPPRESSION_THRESHOLD", 5)
# Periods of whole months are read from monthly rollups (reporting.rollups),
# kept current by the bookings' fingerprints; off, every report reads the bookings.
STATISTICS_MONTHLY_ROLLUPS = True

# De minimis (reporting.deminimis): a session's aid value is hours × its project's
# hourly value in SEK, turned into EUR at this rate for the EUR 300,000 ceiling
# over three years (Regulation (EU) 2023/2831). Set it to the rate the funder
# prescribes (often the European Commission's monthly accounting rate).
_sek_per_eur = os.environ.get("DE_MINIMIS_SEK_PER_EUR", "") or "11.50"
try:
    DE_MINIMIS_SEK_PER_EUR = Decimal(_sek_per_eur)
except ArithmeticError:
    raise ImproperlyConfigured(f"DE_MINIMIS_SEK_PER_EUR must be a number, not {_sek_per_eur!r}.") from None
if not DE_MINIMIS_SEK_PER_EUR.is_finite() or DE_MINIMIS_SEK_PER_EUR <= 0:
    raise ImproperlyConfigured("DE_MINIMIS_SEK_PER_EUR must be a positive number.")

DEMO_PASSWORD = "demo-pass-2026"

# The public pages name who answers for the service: the region running this
# instance is the controller of personal data (privacy notice), and reports of
# accessibility problems go to ACCESSIBILITY_CONTACT_EMAIL. Without a name the
# privacy notice says "the region that runs this service".
PRIVACY_CONTROLLER_NAME = os.environ.get("PRIVACY_CONTROLLER_NAME", "")
PRIVACY_CONTROLLER_CONTACT = os.environ.get("PRIVACY_CONTROLLER_CONTACT", f"dataskydd@{SITE_DOMAIN}")
ACCESSIBILITY_CONTACT_EMAIL = os.environ.get("ACCESSIBILITY_CONTACT_EMAIL", f"tillganglighet@{SITE_DOMAIN}")

# Advisors' external busy calendars (ICS links), read by advisors.tasks.
BUSY_CALENDAR_TIMEOUT = env_int("BUSY_CALENDAR_TIMEOUT", 10)  # seconds
BUSY_CALENDAR_MAX_BYTES = 5 * 1024 * 1024
# Links to private, loopback and link-local addresses are refused (request
# forgery); only a deployment whose calendars live on its own network allows them.
BUSY_CALENDAR_ALLOW_PRIVATE_HOSTS = env_bool("BUSY_CALENDAR_ALLOW_PRIVATE_HOSTS", False)
