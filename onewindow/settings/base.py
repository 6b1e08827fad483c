"""Settings shared by every environment. Everything comes from the environment (see .env.example)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent.parent
load_dotenv(BASE_DIR / ".env", override=False)


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in env(name, default).split(",") if part.strip()]


SECRET_KEY = env("ONEWINDOW_SECRET_KEY")
DEBUG = env_bool("ONEWINDOW_DEBUG", False)
ALLOWED_HOSTS = env_list("ONEWINDOW_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("ONEWINDOW_CSRF_TRUSTED_ORIGINS")

ONEWINDOW_CENTRE_NAME = env("ONEWINDOW_CENTRE_NAME", "青溪县政务服务中心")
# The public address printed in QR codes of notices and licences (verification, tracking);
# empty: the address the request came in on.
ONEWINDOW_PUBLIC_URL = env("ONEWINDOW_PUBLIC_URL", "")

INSTALLED_APPS = [
    "onewindow.core.admin_site.OneWindowAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "onewindow.core",
    "onewindow.accounts",
    "onewindow.org",
    "onewindow.calendar",
    "onewindow.catalogue",
    "onewindow.files",
    "onewindow.cases",
    "onewindow.audit",
    "onewindow.portal",
    "onewindow.workbench",
    "onewindow.api",
    "onewindow.notifications",
    "onewindow.evaluation",
    "onewindow.stats",
    "onewindow.supervision",
    "onewindow.appeals",
    "onewindow.open311",
    "onewindow.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "onewindow.accounts.middleware.StaffIdleTimeoutMiddleware",
    "onewindow.core.middleware.RequestContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "onewindow.urls"
CSRF_FAILURE_VIEW = "onewindow.core.views.csrf_failure"
WSGI_APPLICATION = "onewindow.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "onewindow.core.context_processors.site",
                "onewindow.workbench.context_processors.workbench_menu",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'onewindow.sqlite3'}"),
        conn_max_age=int(env("ONEWINDOW_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and the single writer work side by side. IMMEDIATE transactions take the
    # write lock at BEGIN and wait for it (timeout) instead of failing when a read transaction
    # cannot be upgraded while another connection (a second worker, the audit sealer) writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "ONEWINDOW_DB_PREPARE", True
):
    # Parameters bound on the server and statements prepared after their fifth run on a
    # connection: PostgreSQL then plans a repeated query once, not every time (planning a case
    # with its item, version and organisation joined costs more than running it). Turn off
    # (ONEWINDOW_DB_PREPARE=false) behind a pooler in transaction mode, such as PgBouncer
    # before 1.21, that cannot keep prepared statements. See docs/performance.md.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}
    )
ONEWINDOW_DB_JIT = env_bool("ONEWINDOW_DB_JIT", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not ONEWINDOW_DB_JIT:
    # No JIT compiling on our connections: the board's and the sweeps' queries are costed past
    # jit_above_cost on a province's data and PostgreSQL then spent 1–2 s compiling each to save
    # milliseconds (bench/supervision.py, docs/performance.md). ONEWINDOW_DB_JIT=true keeps it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "onewindow.accounts.backends.StaffBackend",
    "onewindow.accounts.backends.ApplicantPhoneBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "onewindow.accounts.passwords.CharacterClassValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:staff-login"

# Sign-in as MLPS 2.0 level 3 expects: 5 failures lock the account and the address for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_VERBOSE = False

# Staff are signed out after 30 idle minutes; applicants keep their session for a working day.
ONEWINDOW_STAFF_IDLE_SECONDS = int(env("ONEWINDOW_STAFF_IDLE_SECONDS", "1800"))
SESSION_COOKIE_AGE = 8 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

OTP_TOTP_ISSUER = "OneWindow"

# Content Security Policy: nothing from outside, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(env("ONEWINDOW_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Largest file one upload may be (files.services.store_upload), in bytes.
ONEWINDOW_UPLOAD_MAX_BYTES = int(env("ONEWINDOW_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))

# Audit log: a sealing pass after a commit at most this often per process; a skipped pass is
# followed up on a timer (see docs/adr/0002-audit-chain.md).
# Case clocks: a running clock turns to warning when at most this many working days, or this
# share of its limit, are left.
ONEWINDOW_WARNING_DAYS = int(env("ONEWINDOW_WARNING_DAYS", "1"))
ONEWINDOW_WARNING_FRACTION = float(env("ONEWINDOW_WARNING_FRACTION", "0.2"))
# statistics: visits per case before the reform (apply + collect), what "visits saved" counts from
ONEWINDOW_STATS_VISIT_BASELINE = int(env("ONEWINDOW_STATS_VISIT_BASELINE", "2"))
# 好差评: how long a case's signed rating link (receipt QR code, invitation) stays valid
ONEWINDOW_RATING_TOKEN_DAYS = int(env("ONEWINDOW_RATING_TOKEN_DAYS", "365"))
# Open311 GeoReport v2 (/open311/v2/, onewindow.open311, docs/adr/0010-open311.md): POSTs per client
# per hour; the county's box (south,west,north,east, WGS84) that lat/long must fall in; the largest
# photo a POST may carry (multipart `media`); "realtime" (POST returns service_request_id) or
# "batch" (POST returns a token for tokens/{token}).
ONEWINDOW_OPEN311_POSTS_PER_HOUR = int(env("ONEWINDOW_OPEN311_POSTS_PER_HOUR", "60"))
ONEWINDOW_OPEN311_BBOX = env("ONEWINDOW_OPEN311_BBOX", "32.80,106.70,33.40,107.50")
ONEWINDOW_OPEN311_MEDIA_MAX_BYTES = int(
    env("ONEWINDOW_OPEN311_MEDIA_MAX_BYTES", str(10 * 1024 * 1024))
)
ONEWINDOW_OPEN311_TYPE = env("ONEWINDOW_OPEN311_TYPE", "realtime")
# Electronic supervision: working days each kind of special procedure may stop the clock when the
# pause names no maximum itself; longer is flagged as an anomaly (onewindow.supervision).
ONEWINDOW_PAUSE_MAX_DAYS = env(
    "ONEWINDOW_PAUSE_MAX_DAYS", "hearing=20,expert=20,survey=10,notice=10,testing=30,other=10"
)
ONEWINDOW_AUDIT_SEAL_INTERVAL = float(env("ONEWINDOW_AUDIT_SEAL_INTERVAL", "0.2"))
ONEWINDOW_AUDIT_SEAL_FOLLOWUP = env_bool("ONEWINDOW_AUDIT_SEAL_FOLLOWUP", True)

# Key for encrypting personal data at rest (SM4) and its blind index; never in the repository.
ONEWINDOW_PERSONAL_DATA_KEY = env("ONEWINDOW_PERSONAL_DATA_KEY")

# Messages to applicants and staff (onewindow.notifications, see .env.example).
ONEWINDOW_NOTIFY_CHANNELS = env_list("ONEWINDOW_NOTIFY_CHANNELS", "inbox,sms")
ONEWINDOW_NOTIFY_BACKENDS = {
    "sms": env("ONEWINDOW_NOTIFY_SMS_BACKEND", "onewindow.notifications.channels.OutboxSMS"),
    "email": env("ONEWINDOW_NOTIFY_EMAIL_BACKEND", "onewindow.notifications.channels.DjangoEmail"),
    "inbox": env("ONEWINDOW_NOTIFY_INBOX_BACKEND", "onewindow.notifications.channels.Inbox"),
}
ONEWINDOW_NOTIFY_MAX_ATTEMPTS = int(env("ONEWINDOW_NOTIFY_MAX_ATTEMPTS", "5"))
ONEWINDOW_NOTIFY_RETRY_SECONDS = int(env("ONEWINDOW_NOTIFY_RETRY_SECONDS", "60"))
ONEWINDOW_SMS_GATEWAY_URL = env("ONEWINDOW_SMS_GATEWAY_URL")
ONEWINDOW_SMS_GATEWAY_TOKEN = env("ONEWINDOW_SMS_GATEWAY_TOKEN")
ONEWINDOW_SMS_GATEWAY_TIMEOUT = float(env("ONEWINDOW_SMS_GATEWAY_TIMEOUT", "5"))
EMAIL_BACKEND = env("ONEWINDOW_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("ONEWINDOW_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("ONEWINDOW_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("ONEWINDOW_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("ONEWINDOW_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("ONEWINDOW_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("ONEWINDOW_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(env("ONEWINDOW_EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = env("ONEWINDOW_DEFAULT_FROM_EMAIL", "noreply@localhost")

# Background work (docs/adr/0011-background-worker.md): the Django tasks API with the database
# backend, so the queue is a table in the same database; `onewindow worker` enqueues the periodic
# jobs (onewindow.jobs.schedule) when due and runs the queue.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("ONEWINDOW_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
