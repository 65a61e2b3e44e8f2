"""Sightline settings: one module, driven by the environment.

Every value that differs between a laptop, CI and production comes from an
environment variable. Secrets have no default outside demo and test runs.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse, urlsplit

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


# SIGHTLINE_MODE is "production", "demo" or "test", and is never guessed: without it the mode is
# production, so a server started with a forgotten setting refuses to start rather than run as
# the demo with its published secret key. `make demo` and `sightline demo` set "demo", the test
# suite "test"; the `sightline` command chooses "demo" on the embedded database (see
# docs/operations.md).
MODE = os.environ.get("SIGHTLINE_MODE", "production")
if MODE not in {"production", "demo", "test"}:
    raise ImproperlyConfigured(f"SIGHTLINE_MODE must be production, demo or test, not {MODE!r}")

DEBUG = env_bool("DEBUG", default=False)

# The demo's and the test suite's keys are published in this file: production refuses any key
# that starts with their prefix (or with Django's own "django-insecure-"), checked below.
INSECURE_KEY_PREFIXES = ("insecure-", "django-insecure-")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and MODE != "production":
    SECRET_KEY = "insecure-" + MODE + "-only-key-never-use-in-production-0123456789abcdef"
# The key that HMACs the audit chain: at least 32 bytes (64 hex characters) in production.
SIGHTLINE_AUDIT_KEY = os.environ.get("SIGHTLINE_AUDIT_KEY", "")
# Its id, recorded on every row it seals (unset: derived from the key, see audit/keys.py), and
# the retired keys that still verify the rows they sealed: "id:secret,id:secret".
SIGHTLINE_AUDIT_KEY_ID = os.environ.get("SIGHTLINE_AUDIT_KEY_ID", "")
SIGHTLINE_AUDIT_OLD_KEYS = os.environ.get("SIGHTLINE_AUDIT_OLD_KEYS", "")
if not SIGHTLINE_AUDIT_KEY and MODE != "production":
    # Published and fixed, so that a demo's or a test's chain verifies after a restart; its
    # id says on every row it sealed that it proves nothing.
    SIGHTLINE_AUDIT_KEY = "insecure-" + MODE + "-only-audit-key-never-use-in-production-0123456789"
    SIGHTLINE_AUDIT_KEY_ID = SIGHTLINE_AUDIT_KEY_ID or "insecure-" + MODE
# The key that signs links e-mailed to agencies not on Sightline (acknowledge a notice,
# confirm a directory address; notifications/links.py), and the retired keys that still
# verify links already sent, comma-separated. Unset: SECRET_KEY signs (with a purpose salt).
SIGHTLINE_LINK_KEY = os.environ.get("SIGHTLINE_LINK_KEY", "") or SECRET_KEY
SIGHTLINE_LINK_OLD_KEYS = [
    k.strip() for k in os.environ.get("SIGHTLINE_LINK_OLD_KEYS", "").split(",") if k.strip()
]
# Where checkpoints of the audit chain's head are appended (one JSON line each), outside the
# database; they go to the log as well. Unset: the log only. See docs/operations.md.
SIGHTLINE_AUDIT_CHECKPOINTS = os.environ.get("SIGHTLINE_AUDIT_CHECKPOINTS", "")
SIGHTLINE_AUDIT_CHECKPOINT_SECONDS = env_int("SIGHTLINE_AUDIT_CHECKPOINT_SECONDS", 3600)
# When audit rows are sealed (given their place in the chain and their HMAC, ADR 21):
# "on-commit" (just after the request's transaction, holding the chain head's lock for a few
# milliseconds), "worker" (requests only insert; the worker's audit_seal job seals every
# second) or "in-transaction" (inside it, holding the lock until it commits).
SIGHTLINE_AUDIT_SEAL = os.environ.get("SIGHTLINE_AUDIT_SEAL", "on-commit")
if SIGHTLINE_AUDIT_SEAL not in {"on-commit", "worker", "in-transaction"}:
    raise ImproperlyConfigured("SIGHTLINE_AUDIT_SEAL must be on-commit, worker or in-transaction")
# Seconds between the worker's seals: of every row (mode "worker", 1), or of rows a dead
# process left unsealed (the other modes, 30).
SIGHTLINE_AUDIT_SEAL_SECONDS = env_int(
    "SIGHTLINE_AUDIT_SEAL_SECONDS", 1 if SIGHTLINE_AUDIT_SEAL == "worker" else 30
)
# /healthz says "late" when the oldest row waiting for its seal is older than this.
SIGHTLINE_AUDIT_SEAL_LATE_SECONDS = env_int("SIGHTLINE_AUDIT_SEAL_LATE_SECONDS", 60)

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    # The Django admin, for platform operators only and never routed in production (ADR 23).
    "sightline.accounts.admin_site.PlatformAdminConfig",
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
    "sightline.casework",
    "sightline.returns",
    "sightline.chronology",
    "sightline.family",
    "sightline.evidence",
    "sightline.exploitation",
    "sightline.federation",
    "sightline.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's, its device read prepared (sightline.accounts.middleware.DeviceMiddleware).
    "sightline.accounts.middleware.DeviceMiddleware",
    # Child data is never kept in a browser's or a proxy's cache (Cache-Control: no-store).
    "sightline.core.middleware.NoStoreMiddleware",
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
_DATABASE_URL = os.environ.get("DATABASE_URL", DEFAULT_SQLITE)
# PostgreSQL connections are kept ten minutes (checked before reuse, so a restarted server
# costs one failed check, not a failed request): opening one per request made PostgreSQL
# fork, authenticate and warm a backend for every report, and each renewal makes the next
# requests slower (issue 13). 0 opens one per request. But a backend keeps the plans it made
# (prepared statements, foreign-key checks) until an ANALYZE of their tables: where the
# server's autovacuum is off, plans made while a table was nearly empty outlive its growth,
# so there a connection lives at most a minute whatever this says (sightline.core.database,
# ADR 68, docs/performance.md of 7 December, midnight).
DATABASES = {
    "default": dj_database_url.parse(
        _DATABASE_URL,
        conn_max_age=env_int(
            "DATABASE_CONN_MAX_AGE", 0 if _DATABASE_URL.startswith("sqlite") else 600
        ),
        conn_health_checks=True,
    )
}
# An application_name given in DATABASE_URL is the operator's: Sightline's processes keep it
# rather than naming their connections (sightline.core.database).
DATABASE_APPLICATION_NAME_GIVEN = "application_name" in DATABASES["default"].get("OPTIONS", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A failover can leave a connection to a server that is gone without a word: give up on
    # connecting after 10 s, and let TCP keepalives find a dead peer within about a minute,
    # so that the worker reconnects (ADR 21) rather than waiting hours for the kernel.
    DATABASES["default"].setdefault("OPTIONS", {})
    for _option, _value in (
        ("connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 10)),
        ("keepalives", 1),
        ("keepalives_idle", 30),
        ("keepalives_interval", 10),
        ("keepalives_count", 3),
        # Which process a backend serves (sightline.core.database): serve and the worker
        # name theirs; anything else is "sightline".
        ("application_name", "sightline"),
    ):
        DATABASES["default"]["OPTIONS"].setdefault(_option, _value)
    # Prepared statements (issue 13, ADR 64): the values travel apart from the SQL (server-side
    # binding), so a statement's text repeats and psycopg prepares it on a connection after
    # its 5th execution; PostgreSQL then skips parsing and, mostly, planning (over half of the
    # CPU of a missing report's statements). DATABASE_PREPARED_STATEMENTS=off behind a pooler in
    # transaction mode that cannot keep a connection's prepared statements.
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
        DATABASES["default"]["OPTIONS"].setdefault(
            "prepare_threshold", env_int("DATABASE_PREPARE_THRESHOLD", 5)
        )
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

# The rendered sections of a child's record (ADR "record sections cached by version"): one
# cache per process. Its keys hold the record's version, read from the database on every
# request, so processes need not share it; entries are about 50 KiB and live two minutes.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "sightline",
        "OPTIONS": {"MAX_ENTRIES": 500},
    }
}

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
    # Django's ModelBackend, its per-request read of the user (with the organisation) prepared.
    # Sessions signed in through django.contrib.auth.backends.ModelBackend before this change
    # end once: Django refuses a session whose backend is no longer listed.
    "sightline.accounts.backends.UserBackend",
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

# Django's database sessions, their per-request read prepared (issue 13).
SESSION_ENGINE = "sightline.accounts.session_store"
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
# Images also from a map tile service, when one is set (below).
_IMG_SRC: list[str] = [csp.SELF, "data:"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF],
        "img-src": _IMG_SRC,
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    }
}
# Maps (issue 14): with no tile service they draw on the shipped offline base map only. A
# council that licenses a British National Grid tile service (Ordnance Survey's Maps API
# "ZXY" EPSG:27700 tiles, or its own GIS server with the same tile matrix) sets its URL
# template ({z}/{x}/{y}, with any key the service gives for browsers) and the attribution its
# licence asks for; the page then also allows images from that origin.
SIGHTLINE_MAP_TILE_URL = os.environ.get("SIGHTLINE_MAP_TILE_URL", "").strip()
SIGHTLINE_MAP_TILE_ATTRIBUTION = os.environ.get("SIGHTLINE_MAP_TILE_ATTRIBUTION", "").strip()
if SIGHTLINE_MAP_TILE_URL:
    _tiles = urlsplit(SIGHTLINE_MAP_TILE_URL)
    if _tiles.scheme != "https" or not _tiles.netloc:
        raise ImproperlyConfigured("SIGHTLINE_MAP_TILE_URL must be an https:// URL template")
    _IMG_SRC.append(f"https://{_tiles.netloc}")

# The start of every link in e-mails and other messages (the worker writes them, not the web
# app). Production must name its public address; elsewhere the links follow the address
# `sightline serve` and `sightline demo` listen on (HOST and PORT), so that a demo on another
# port sends links that open.
SIGHTLINE_BASE_URL = os.environ.get("SIGHTLINE_BASE_URL", "").strip().rstrip("/")
# (A production start without it is refused with the other unsafe settings, below.)
if not SIGHTLINE_BASE_URL and MODE != "production":
    _host = os.environ.get("HOST", "").strip() or "127.0.0.1"
    # Listening everywhere (not a bind here): link to this machine.
    if _host in {"0.0.0.0", "::", "[::]"}:  # noqa: S104
        _host = "127.0.0.1"
    elif ":" in _host and not _host.startswith("["):  # an IPv6 address
        _host = f"[{_host}]"
    SIGHTLINE_BASE_URL = f"http://{_host}:{os.environ.get('PORT', '').strip() or '8000'}"

# Webhook addresses (subscriptions and contact points) must be on the public internet: at save
# and at each send the host is resolved and loopback, private, link-local, reserved, multicast
# and other non-global addresses are refused (notifications/webhook_addresses.py), except in
# the networks listed here (comma-separated CIDRs, e.g. a partner reached over a private link).
# Production allows none unless told; test mode allows the loopback the test servers run on.
SIGHTLINE_WEBHOOK_ALLOWED_NETWORKS = [
    n.strip()
    for n in os.environ.get(
        "SIGHTLINE_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128" if MODE == "test" else ""
    ).split(",")
    if n.strip()
]

# Sightline to Sightline (sightline.federation, docs/operations.md "Federation"): notices
# and acknowledgements exchanged with other deployments as requests signed with HTTP Message
# Signatures. Off unless SIGHTLINE_FEDERATION is on; then SIGHTLINE_FEDERATION_KEY (an Ed25519
# seed, base64url: `sightline federation keygen`) signs, and production refuses to start
# without it. SIGHTLINE_FEDERATION_OLD_KEYS: retired public keys still published, base64url,
# comma-separated.
SIGHTLINE_FEDERATION = env_bool("SIGHTLINE_FEDERATION", default=False)
SIGHTLINE_FEDERATION_KEY = os.environ.get("SIGHTLINE_FEDERATION_KEY", "").strip()
SIGHTLINE_FEDERATION_OLD_KEYS = [
    k.strip() for k in os.environ.get("SIGHTLINE_FEDERATION_OLD_KEYS", "").split(",") if k.strip()
]
# How long a signed request is good for, in seconds (its "expires" at most this after
# "created"); nonces are remembered for twice as long.
SIGHTLINE_FEDERATION_MAX_AGE_SECONDS = env_int("SIGHTLINE_FEDERATION_MAX_AGE_SECONDS", 300)
# Seconds to wait for a peer's answer (plus 3 to connect): under the urgent lease (20 s).
SIGHTLINE_FEDERATION_TIMEOUT_SECONDS = env_int("SIGHTLINE_FEDERATION_TIMEOUT_SECONDS", 10)

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


# Production refuses to start unsafe (docs/operations.md, "The production environment"). Every
# problem is named at once, so that one restart after fixing the environment is enough.
MIN_SECRET_KEY_LENGTH = 50  # Django's own check (security.W009): 50 characters, 5 distinct
MIN_AUDIT_KEY_BYTES = 32
_AUDIT_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")  # as sightline.audit.keys


def _key_bytes(value: str) -> int:
    """How many bytes of key a value carries: a hex string carries half its length."""
    try:
        return len(bytes.fromhex(value))
    except ValueError:
        return len(value.encode())


def _federation_key_ok(value: str) -> bool:
    """A 32-byte seed in base64url (checked without importing the crypto library here)."""
    value = value.strip()
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))) == 32
    except ValueError:
        return False


def production_problems(env: Mapping[str, str]) -> list[str]:
    """Why these settings are not safe to run production with; empty when they are."""
    problems = []
    key = env.get("SECRET_KEY", "")
    if not key:
        problems.append(
            "SECRET_KEY is not set. Set it to at least 50 random characters; only "
            "`sightline demo` and the test suite run without one."
        )
    elif key.startswith(INSECURE_KEY_PREFIXES):
        problems.append("SECRET_KEY starts with the published insecure prefix: generate a new one.")
    elif len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 5:
        problems.append(
            "SECRET_KEY is too short or too simple: use at least 50 random characters "
            "(5 or more different ones)."
        )
    if DEBUG:
        problems.append("DEBUG must be off in production: unset it or set DEBUG=0.")
    if not env.get("DATABASE_URL"):
        problems.append("DATABASE_URL is not set: production needs a PostgreSQL database.")
    elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        problems.append("DATABASE_URL is SQLite: production needs a PostgreSQL database.")
    audit_key = env.get("SIGHTLINE_AUDIT_KEY", "")
    if not audit_key:
        problems.append(
            "SIGHTLINE_AUDIT_KEY is not set: set it to 64 random hex characters (32 bytes)."
        )
    elif audit_key.startswith(INSECURE_KEY_PREFIXES):
        problems.append(
            "SIGHTLINE_AUDIT_KEY starts with the published insecure prefix: generate a new one."
        )
    elif _key_bytes(audit_key) < MIN_AUDIT_KEY_BYTES or len(set(audit_key)) < 5:
        problems.append(
            "SIGHTLINE_AUDIT_KEY is too short or too simple: use 64 random hex characters "
            "(32 bytes)."
        )
    old_keys = [e.strip() for e in env.get("SIGHTLINE_AUDIT_OLD_KEYS", "").split(",")]
    for entry in filter(None, old_keys):
        key_id, sep, secret = entry.partition(":")
        if (sep and not _AUDIT_KEY_ID.match(key_id)) or not (secret if sep else key_id):
            problems.append(
                "SIGHTLINE_AUDIT_OLD_KEYS: each entry is id:secret (an id of up to 32 letters, "
                "digits, '.', '_' or '-') or a bare secret, separated by commas."
            )
            break
    if env.get("SIGHTLINE_AUDIT_KEY_ID") and not _AUDIT_KEY_ID.match(env["SIGHTLINE_AUDIT_KEY_ID"]):
        problems.append("SIGHTLINE_AUDIT_KEY_ID: up to 32 letters, digits, '.', '_' or '-'.")
    if not env.get("SIGHTLINE_BASE_URL"):
        problems.append(
            "SIGHTLINE_BASE_URL is not set: set it to the address people open Sightline at, "
            "such as https://sightline.example.gov.uk; links in e-mails start with it."
        )
    federation = env.get("SIGHTLINE_FEDERATION", "").strip().lower() in {"1", "true", "yes", "on"}
    if federation and not _federation_key_ok(env.get("SIGHTLINE_FEDERATION_KEY", "")):
        problems.append(
            "SIGHTLINE_FEDERATION is on but SIGHTLINE_FEDERATION_KEY is not an Ed25519 key: "
            "set it to what `sightline federation keygen` prints (32 bytes, base64url)."
        )
    if SESSION_IDLE_MINUTES <= 0 or SESSION_ABSOLUTE_HOURS <= 0:
        problems.append(
            "SESSION_IDLE_MINUTES and SESSION_ABSOLUTE_HOURS must be more than 0 in production."
        )
    return problems


if MODE == "production" and (_problems := production_problems(os.environ)):
    raise ImproperlyConfigured(
        "Sightline is in production mode (SIGHTLINE_MODE is production or not set) and will not "
        "start until these settings are safe:\n"
        + "\n".join(f"- {p}" for p in _problems)
        + "\nTo run the demo instead, set SIGHTLINE_MODE=demo; to run the tests, "
        "SIGHTLINE_MODE=test."
    )
