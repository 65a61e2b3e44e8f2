"""Sightline settings: one module, driven by the environment.

Every value that differs between a laptop, CI and production comes from an
environment variable. Secrets have no default outside demo and test runs.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import csp.constants as csp
import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SIGHTLINE_VAR_DIR", BASE_DIR / "var"))
# The evidence extract the Evidence pages read (docs/operations.md): a folder every web process
# sees. Unset: VAR_DIR / "evidence".
SIGHTLINE_EVIDENCE_DIR = os.environ.get("SIGHTLINE_EVIDENCE_DIR") or None


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


# SIGHTLINE_MODE is "production", "demo" or "test". Without it: "test" under pytest; "demo"
# on the embedded SQLite database (no DATABASE_URL); "production" when DATABASE_URL is set.
if "SIGHTLINE_MODE" in os.environ:
    MODE = os.environ["SIGHTLINE_MODE"]
elif "pytest" in sys.modules:
    MODE = "test"
else:
    MODE = "production" if os.environ.get("DATABASE_URL") else "demo"
if MODE not in {"production", "demo", "test"}:
    raise ImproperlyConfigured(f"SIGHTLINE_MODE must be production, demo or test, not {MODE!r}")

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if MODE == "production":
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (at least 50 random characters); "
            "only `sightline demo` and the test suite run without one."
        )
    SECRET_KEY = "insecure-" + MODE + "-only-key-never-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "crispy_forms",
    "crispy_forms_gds",
    "govuk_frontend_django",
    "django_tasks",
    "django_tasks_db",
    "sightline.core",
    "sightline.accounts",
    "sightline.geography",
    "sightline.organisations",
    "sightline.audit",
    "sightline.access",
    "sightline.children",
    "sightline.placements",
    "sightline.synth",
    "sightline.notifications",
    "sightline.api",
    "sightline.language",
    "sightline.missing",
    "sightline.returns",
    "sightline.evidence",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "sightline.accounts.middleware.SessionTimeoutMiddleware",
    "sightline.accounts.middleware.VerificationRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "src" / "sightline" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sightline.core.context_processors.service",
            ],
        },
    },
]

# Database: DATABASE_URL, or an embedded SQLite database under var/.
DEFAULT_SQLITE = f"sqlite:///{VAR_DIR / 'sightline.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", DEFAULT_SQLITE),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web app and the worker share the file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "organisations.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if MODE == "test":
    # Argon2 is deliberately slow; the suite creates hundreds of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
# django-axes first: it refuses a sign-in while the username and address are locked out.
AUTHENTICATION_BACKENDS = [
    "sightline.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = MODE != "production"

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# Background tasks: Django's Tasks API (django-tasks backport) on the database.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# E-mail: EMAIL_URL (smtp://user:password@host:port, smtp+tls://... or smtps://...) configures
# SMTP everywhere; the separate EMAIL_* variables override its parts. Without either, the demo
# prints mail to the console and production refuses to start sending nowhere.
EMAIL_URL = os.environ.get("EMAIL_URL", "")
_email = urlparse(EMAIL_URL) if EMAIL_URL else None
if _email is not None and _email.scheme not in {"smtp", "smtp+tls", "smtps"}:
    raise ImproperlyConfigured("EMAIL_URL must start smtp://, smtp+tls:// or smtps://")
EMAIL_HOST = os.environ.get("EMAIL_HOST") or (_email.hostname if _email else None) or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", (_email.port if _email and _email.port else 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER") or unquote(
    (_email.username or "") if _email else ""
)
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD") or unquote(
    (_email.password or "") if _email else ""
)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=bool(_email and _email.scheme == "smtp+tls"))
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=bool(_email and _email.scheme == "smtps"))
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Sightline <no-reply@sightline.invalid>")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_URL or os.environ.get("EMAIL_HOST") or MODE == "production"
    else "django.core.mail.backends.console.EmailBackend",
)

SESSION_COOKIE_HTTPONLY = True
# Messages (banners such as "Robin Quillfeather reported missing") are kept in the session,
# on the server, not in a signed but readable cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_SAMESITE = "Lax"
# Authentication hardening (docs/security-authentication.md). A session ends after
# SESSION_IDLE_MINUTES without a request and SESSION_ABSOLUTE_HOURS after signing in; 0 turns a
# limit off (refused in production). The test suite turns both off unless a test turns them on,
# because many tests move the clock by days within one signed-in session.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 0 if MODE == "test" else 30)
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 0 if MODE == "test" else 12)
if MODE == "production" and (SESSION_IDLE_MINUTES <= 0 or SESSION_ABSOLUTE_HOURS <= 0):
    raise ImproperlyConfigured(
        "SESSION_IDLE_MINUTES and SESSION_ABSOLUTE_HOURS must be more than 0 in production."
    )
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", (SESSION_ABSOLUTE_HOURS or 12) * 60 * 60)
SESSION_COOKIE_SECURE = MODE == "production"
CSRF_COOKIE_SECURE = MODE == "production"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if MODE == "production":
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SERVICE_NAME = "Sightline"

# Multi-factor authentication (django-otp): an authenticator app (TOTP) and recovery codes.
OTP_TOTP_ISSUER = SERVICE_NAME
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Lockout (django-axes): AXES_FAILURE_LIMIT wrong passwords for one username from one address
# lock that pair for AXES_COOLOFF_MINUTES. Behind TRUSTED_PROXY_COUNT reverse proxies the
# client address is read from X-Forwarded-For.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "sightline.accounts.views.locked_out"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address"]  # masked in axes' own log lines
AXES_VERBOSE = False
if env_int("TRUSTED_PROXY_COUNT", 0) > 0:
    AXES_IPWARE_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

# Content Security Policy (django-csp): scripts only from this site or with the page's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}
SIGHTLINE_BASE_URL = os.environ.get("SIGHTLINE_BASE_URL", "http://127.0.0.1:8000")

# Logs carry ids, never names or dates of birth.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Whatever LOG_LEVEL says: SQL carries parameters, and the template engine's DEBUG records
    # carry the whole template context (a child's name): never write either.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.template": {"level": "INFO"},
    },
}
