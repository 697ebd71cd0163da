"""Tribu settings.

Every setting comes from the environment (12-factor) with a safe default for the embedded mode:
SQLite, local files and an outbox folder, all under ``TRIBU_DATA_DIR`` (default ``./var``).
Bad values fail loudly at start-up rather than being silently ignored.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    """Read a setting; ``NAME_FILE`` (a path) wins over ``NAME`` for secrets kept in files."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = env(name, "")
    if value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = env(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# --- Paths -------------------------------------------------------------------------------------
DATA_DIR = Path(env("TRIBU_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
STATIC_ROOT = DATA_DIR / "static"
OUTBOX_DIR = DATA_DIR / "outbox"

# --- Core --------------------------------------------------------------------------------------
DEBUG = envbool("DEBUG", False)
TESTING = envbool("TRIBU_TESTING", False)


def _secret_key() -> str:
    key = env("SECRET_KEY")
    if key:
        return key
    # Embedded mode: one random key, kept in the data directory so sessions survive restarts.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = env("TRIBU_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Tribu's apps come first: their templates and translations win over those of the libraries.
    "tribu.core",
    "tribu.accounts",
    "tribu.companies",
    "tribu.memberships",
    "tribu.directory",
    "tribu.imports",
    "tribu.privacy",
    "tribu.groups",
    "tribu.feed",
    "tribu.payments",
    "tribu.billing",
    "tribu.mailing",
    "tribu.segments",
    "tribu.campaigns",
    "tribu.events",
    "tribu.media",
    "tribu.library",
    "tribu.search",
    "tribu.api",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "anymail",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: the member's own language choice wins over the cookie and the default.
    "tribu.core.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "tribu.core.middleware.FormErrorStatusMiddleware",
    "tribu.core.middleware.TimezoneMiddleware",
    "tribu.core.middleware.AdminTwoFactorMiddleware",
]

ROOT_URLCONF = "tribu.urls"
ASGI_APPLICATION = "tribu.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tribu.core.context_processors.shell",
            ],
        },
    }
]

# --- Database ----------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database address: {exc}") from exc
    # PostgreSQL: a pool of connections per process (psycopg_pool), not Django's persistent connections:
    # under ASGI each request has its own connection object, so persistent ones piled up until
    # PostgreSQL refused new clients. TRIBU_DB_POOL=false goes back to them (e.g. behind PgBouncer).
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and envbool("TRIBU_DB_POOL", True):
        from psycopg_pool import ConnectionPool

        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": envint("TRIBU_DB_POOL_MIN", 2),
            "max_size": envint("TRIBU_DB_POOL_MAX", 10),
            "timeout": envint("TRIBU_DB_POOL_TIMEOUT", 20),  # seconds a request waits for a free connection
            "check": ConnectionPool.check_connection,  # a connection broken meanwhile is replaced, not handed out
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "tribu.sqlite3",
            "OPTIONS": {
                # WAL lets the web process, the worker and the scheduler read while one writes.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The discussion page prepares its two statements on PostgreSQL connections. A pooler in transaction
# mode must keep prepared statements (PgBouncer ≥ 1.21 with max_prepared_statements), or set this false.
TRIBU_PREPARED_STATEMENTS = envbool("TRIBU_PREPARED_STATEMENTS", True)

# --- Cache, realtime, rate limits ---------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("TRIBU_CACHE_PREFIX", "tribu"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env("TRIBU_CACHE_PREFIX", "tribu") + ":ch"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Background work ---------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": env("TRIBU_TASK_BACKEND", "django_tasks_db.backend.DatabaseBackend"),
        "QUEUES": [],
    }
}
# A worker that has not beaten for this long is presumed dead: its running jobs are put back in the queue.
TRIBU_WORKER_STALE_SECONDS = envint("TRIBU_WORKER_STALE_SECONDS", 60)
TRIBU_TASK_MAX_ATTEMPTS = envint("TRIBU_TASK_MAX_ATTEMPTS", 5)
# A failed job waits base × 2^(attempt-1) seconds (at most the max) before its next attempt.
TRIBU_TASK_RETRY_BASE_SECONDS = envint("TRIBU_TASK_RETRY_BASE_SECONDS", 10)
TRIBU_TASK_RETRY_MAX_SECONDS = envint("TRIBU_TASK_RETRY_MAX_SECONDS", 3600)
TRIBU_WORKER_HEARTBEAT_SECONDS = envint("TRIBU_WORKER_HEARTBEAT_SECONDS", 5)
TRIBU_SCHEDULER_TICK_SECONDS = envint("TRIBU_SCHEDULER_TICK_SECONDS", 5)

# --- Auth --------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
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
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
# Signup says plainly that an address is taken (members expect it; the rate limits slow probing).
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SIGNUP_FORM_CLASS = "tribu.accounts.forms.SignupForm"
ACCOUNT_ADAPTER = "tribu.accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_RATE_LIMITS = {
    "login": env("TRIBU_RATE_LOGIN", "30/m/ip"),
    "login_failed": env("TRIBU_RATE_LOGIN_FAILED", "10/m/ip,5/5m/key"),
    "signup": env("TRIBU_RATE_SIGNUP", "20/m/ip"),
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("TRIBU_TOTP_ISSUER", "Tribu")
# Session list shows where and when each session started; tracking every hit would cost a write per request.
USERSESSIONS_TRACK_ACTIVITY = envbool("TRIBU_TRACK_SESSION_ACTIVITY", False)
if USERSESSIONS_TRACK_ACTIVITY:
    # Its only job is that tracking; left out otherwise, it costs a thread hop per request under ASGI.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("allauth.account.middleware.AccountMiddleware") + 1,
        "allauth.usersessions.middleware.UserSessionsMiddleware",
    )
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Email -------------------------------------------------------------------------------------


def _email_settings() -> dict[str, object]:
    """EMAIL_URL: smtp://user:password@host:port?tls=1 (or ssl=1); empty: the outbox folder."""
    url = env("EMAIL_URL")
    if not url:
        return {"EMAIL_BACKEND": "tribu.core.mail.OutboxBackend"}
    parsed = urlparse(url)
    if parsed.scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured(f"EMAIL_URL must start with smtp:// or smtps://, not {parsed.scheme!r}")
    query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or (465 if parsed.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_TLS": query.get("tls") in {"1", "true"},
        "EMAIL_USE_SSL": parsed.scheme == "smtps" or query.get("ssl") in {"1", "true"},
        "EMAIL_TIMEOUT": 20,
    }


globals().update(_email_settings())
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Tribu <noreply@localhost>")

# Payments. Without a secret key the platform takes offline payments only (and says so in the admin).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
# Another API base for the Stripe client (tests point it at an emulator on 127.0.0.1); empty: Stripe's.
STRIPE_API_BASE = env("STRIPE_API_BASE")

# Emailing. The shared secret email providers send with their bounce/complaint webhooks (django-anymail;
# the webhooks answer 404 until it is set), and the mailbox that takes mailto: unsubscribe requests
# (empty: the sender's address).
ANYMAIL_WEBHOOK_SECRET = env("TRIBU_ANYMAIL_WEBHOOK_SECRET")
MAILING_UNSUBSCRIBE_EMAIL = env("TRIBU_UNSUBSCRIBE_EMAIL")
# Campaign sending: attempts per recipient and the exponential back-off between them (seconds).
TRIBU_CAMPAIGN_MAX_ATTEMPTS = envint("TRIBU_CAMPAIGN_MAX_ATTEMPTS", 5)
TRIBU_CAMPAIGN_RETRY_BASE_SECONDS = envint("TRIBU_CAMPAIGN_RETRY_BASE_SECONDS", 60)
TRIBU_CAMPAIGN_RETRY_MAX_SECONDS = envint("TRIBU_CAMPAIGN_RETRY_MAX_SECONDS", 6 * 3600)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = env("TRIBU_LANGUAGE", "fr")
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
TIME_ZONE = env("TRIBU_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS: list[Path] = []  # each app keeps its own locale/ folder
LANGUAGE_COOKIE_NAME = "tribu_language"

# --- Static and uploaded files -----------------------------------------------------------------
STATIC_URL = "/static/"
MEDIA_URL = "/media/"
_s3_bucket = env("AWS_STORAGE_BUCKET_NAME")
STORAGES = {
    "default": (
        {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": _s3_bucket}}
        if _s3_bucket
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("TRIBU_MAX_REQUEST_BYTES", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
TRIBU_MAX_IMAGE_BYTES = envint("TRIBU_MAX_IMAGE_BYTES", 2 * 1024 * 1024)

# --- Security ----------------------------------------------------------------------------------
# Frames: the site's own pages (email previews) and, for video embeds (tribu.media.rich), only the
# allowlisted players and these PeerTube hosts.
TRIBU_PEERTUBE_HOSTS = [host.lower() for host in envlist("TRIBU_PEERTUBE_HOSTS", "")]
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:", *envlist("TRIBU_CSP_IMG_EXTRA", "")],
    "connect-src": [CSP.SELF, "ws:", "wss:"],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-src": [
        CSP.SELF,
        "https://www.youtube-nocookie.com",
        "https://player.vimeo.com",
        "https://www.dailymotion.com",
        "https://open.spotify.com",
        "https://w.soundcloud.com",
        "https://widget.deezer.com",
        "https://embed.podcasts.apple.com",
        *(f"https://{host}" for host in TRIBU_PEERTUBE_HOSTS),
    ],
    "frame-ancestors": [CSP.NONE],
    "manifest-src": [CSP.SELF],
    "worker-src": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("TRIBU_BEHIND_PROXY", False) else None
SECURE_SSL_REDIRECT = envbool("TRIBU_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = envbool("TRIBU_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("TRIBU_HSTS_SECONDS", 0)
CSRF_FAILURE_VIEW = "tribu.core.views.csrf_failure"

# --- Logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("TRIBU_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.security.DisallowedHost": {"level": "ERROR"},
    },
}

# --- API ---------------------------------------------------------------------------------------
TRIBU_API_PAGE_SIZE = envint("TRIBU_API_PAGE_SIZE", 50)
TRIBU_API_RATE_ANON = env("TRIBU_API_RATE_ANON", "60/m")
TRIBU_API_RATE_USER = env("TRIBU_API_RATE_USER", "600/m")
