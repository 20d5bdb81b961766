"""Settings for igv-crm, read from the environment (12-factor) with django-environ.

One settings module for every environment: development, tests and production differ only by their
variables. Every variable is documented in `.env.example`; an optional `.env` file beside
`manage.py` is read too (real environment variables win over it).
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (see .env.example), "
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin on the IGV CRM site (brand, CRM first): see igv_site/admin.py.
    "igv_site.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "phonenumber_field",
    "axes",
    "django_admin_lightweight_date_hierarchy",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "mini_analysis",
    "crm",
]

MIDDLEWARE = [
    "igv_site.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the language is chosen (its 400 is translated), before anything reads the input.
    "igv_site.middleware.RefuseUnrepresentableInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in person's language and time zone (their profile), once they are known.
    "crm.preferences.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Who changed a lead, company, contact or opportunity in the admin (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it reads the outcome of the authentication.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "igv_site.auth_backends.ModelBackendInOneQuery",
    # The sessions opened before the line above name Django's own backend: kept, so that a deploy
    # signs nobody out (it reads the permissions the line above has already read, no query).
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "igv_site.urls"
WSGI_APPLICATION = "igv_site.wsgi.application"

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

# SQLite beside manage.py by default, so a newcomer needs no server; postgres://… in production.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# SQLite shared by a web server and a worker (`make run`): readers never wait for the writer
# (WAL; NORMAL is durable across application crashes, and WAL's usual pairing), a write that
# finds the file locked waits up to SQLITE_TIMEOUT seconds instead of failing at once, and every
# transaction takes the write lock when it begins (IMMEDIATE), so that one which read first never
# fails "database is locked" halfway with no wait at all. The test database gets the same.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "timeout": env.float("SQLITE_TIMEOUT", default=20.0),
        "transaction_mode": "IMMEDIATE",
        **DATABASES["default"].get("OPTIONS", {}),
    }
# PostgreSQL: the planner settings each connection asks for, sent as connection options (behind
# a pooler that refuses startup options, PgBouncer without `ignore_startup_parameters = options`,
# set them empty here and on the database instead; empty: the server's own).
# - No JIT compilation (`POSTGRES_JIT`, default `off`). It pays off for long analytic queries; for
#   a page's queries its compile time only adds up (a sales person's activity search over 550 000
#   activities: 2.8 s with JIT, 1.5 s of it compiling, 0.56 s without).
# - A random page read priced as a database held in memory or on SSD prices it
#   (`POSTGRES_RANDOM_PAGE_COST`, default 1.1; PostgreSQL's 4 models a spinning disk): at 4 the
#   planner hashed a sales person's 91 000 leads (30 ms) rather than walk two index-only ranges
#   in step (5 ms) to count their first 10 001 activities (docs/decisions.md).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    planner = {
        "jit": env.str("POSTGRES_JIT", "off"),
        "random_page_cost": env.str("POSTGRES_RANDOM_PAGE_COST", "1.1"),
    }
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = " ".join(
        [options.get("options", ""), *(f"-c {name}={value}" for name, value in planner.items() if value)]
    ).strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The database cache works across gunicorn workers and instances with no extra server;
# CACHE_URL=redis://… switches to Redis. Never the per-process local-memory cache.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://django_cache")}
# The spreadsheet being imported waits between its preview and its confirmation in the database
# (`crm.models.PendingImport`), not on one web server's disk: the confirmation may reach another
# worker or instance. Seconds it waits at most (it is deleted once confirmed or cancelled).
IMPORT_CONFIRMATION_TIMEOUT = env.int("IMPORT_CONFIRMATION_TIMEOUT", default=30 * 60)
# An uploaded file of more rows than this is read, previewed and imported by the worker, with a
# progress page (crm.imports.jobs); the upload reads no further than these rows.
IMPORT_BACKGROUND_ROWS = env.int("IMPORT_BACKGROUND_ROWS", default=2000)
# An export of more prospects than this is built by the worker into a file of MEDIA_ROOT (the
# default storage), offered as a download link to the user who asked and deleted
# EXPORT_RETENTION seconds after it was built (crm.export_runs).
EXPORT_BACKGROUND_ROWS = env.int("EXPORT_BACKGROUND_ROWS", default=10_000)
EXPORT_RETENTION = env.int("EXPORT_RETENTION", default=24 * 60 * 60)
# Limits of an uploaded spreadsheet (`crm.uploads`), checked before it is parsed or while it is
# streamed: the file's size (bytes; a 100 000-row CSV of names, emails, phones, brands, sectors and
# dates is about 8 MB), an .xlsx's size once unpacked (bytes), its rows (a web request reads no
# more than IMPORT_BACKGROUND_ROWS of them: the worker reads, previews and imports the rest) and
# the characters of any cell (the longest text column an import writes, `notes`, holds 10 000).
IMPORT_MAX_FILE_SIZE = env.int("IMPORT_MAX_FILE_SIZE", default=16 * 1024 * 1024)
IMPORT_MAX_UNPACKED_SIZE = env.int("IMPORT_MAX_UNPACKED_SIZE", default=25 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=100_000)
IMPORT_MAX_CELL_LENGTH = env.int("IMPORT_MAX_CELL_LENGTH", default=10_000)
# The first handler keeps nothing of an uploaded file past IMPORT_MAX_FILE_SIZE (the site's only
# upload is the import); Django's own handlers follow.
FILE_UPLOAD_HANDLERS = [
    "crm.uploads.UploadSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="fr")
LANGUAGES = [("fr", _("French")), ("en", _("English")), ("he", _("Hebrew"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Jerusalem")
USE_I18N = True
USE_TZ = True
# One date, time and number format per language (igv_site/formats/<language>/formats.py). Numbers
# are grouped where a template asks (`floatformat:"g"`), not everywhere: USE_THOUSAND_SEPARATOR
# would also group the ids that templates write into URLs and form values ("1 234").
FORMAT_MODULE_PATH = ["igv_site.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Compressed files with hashed names in production (run collectstatic); tests use the plain one.
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# Where `migrate_mini_analyses --rollback` writes its backups by default.
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "backups")
# The legacy MongoDB that `sync_legacy --follow` keeps the CRM in step with until cutover; empty:
# no bridge (its process then idles, and /healthz says nothing of it).
LEGACY_MONGO_URI = env.str("LEGACY_MONGO_URI", default="")

PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default="IL")
PHONENUMBER_DB_FORMAT = "E164"

# The mini-analysis generator: `offline` (deterministic, no key, no network) or `gemini`.
MINI_ANALYSIS_GENERATOR = env.str("MINI_ANALYSIS_GENERATOR", default="offline")
GEMINI_API_KEY = env.str("GEMINI_API_KEY", default="")
GEMINI_MODEL = env.str("GEMINI_MODEL", default="gemini-2.5-flash")
# Seconds; kept well under gunicorn's timeout (GUNICORN_TIMEOUT, 60 s) so the visitor gets a page.
GEMINI_TIMEOUT = env.float("GEMINI_TIMEOUT", default=20.0)
# Gemini calls allowed per day (server's TIME_ZONE), counted in the shared cache; unset: no limit.
MINI_ANALYSIS_DAILY_QUOTA = env.int("MINI_ANALYSIS_DAILY_QUOTA", default=None)
# Form and API submissions per client address, django-ratelimit syntax: `5/10m`, `100/h`, `20/d`.
MINI_ANALYSIS_RATE_LIMIT = env.str("MINI_ANALYSIS_RATE_LIMIT", default="5/10m")
# Analysis emails a day to one recipient address, whoever asks (mini_analysis/recipients.py).
MINI_ANALYSIS_EMAILS_PER_RECIPIENT = env.int("MINI_ANALYSIS_EMAILS_PER_RECIPIENT", default=3)
# The "book a call" link on the result page and in the PDF; empty: no link.
BOOK_A_CALL_URL = env.str("BOOK_A_CALL_URL", default="")
# How many proxies in front of the app append to X-Forwarded-For (Render, a load balancer: 1).
# 0 trusts no header and uses the connection's address; a wrong value lets clients pick their IP.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
RATELIMIT_IP_META_KEY = "mini_analysis.throttling.client_ip"

# Background jobs (django-tasks, the backport of Django 6's `django.tasks`). The database backend
# needs no broker: the jobs are rows in this project's database, run by `manage.py run_worker`
# (any number of them, on any machine reaching the database). Unit tests use the immediate one.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        # Any queue name: a worker started with `--queue-name '*'` serves them all.
        "QUEUES": [],
    }
}
# Generation jobs (see `mini_analysis.generation`): seconds after which a RUNNING claim is taken as
# a dead worker's and may be claimed again (longer than GEMINI_TIMEOUT plus the PDF); minutes
# after which a queued request whose job never ran is enqueued again; attempts before an ERROR
# request is left for a person (admin action, `regenerate_mini_analyses`).
GENERATION_CLAIM_TIMEOUT = env.int("GENERATION_CLAIM_TIMEOUT", default=300)
GENERATION_REQUEUE_AFTER = env.int("GENERATION_REQUEUE_AFTER", default=600)
GENERATION_MAX_ATTEMPTS = env.int("GENERATION_MAX_ATTEMPTS", default=5)
# The health check answers 503 when the oldest job ready to run waited longer than this (seconds).
QUEUE_MAX_AGE = env.int("QUEUE_MAX_AGE", default=300)
# ... and when no worker was seen running its loop for this long (seconds): each writes a
# heartbeat every quarter of it (`mini_analysis.worker`).
WORKER_HEARTBEAT_MAX_AGE = env.int("WORKER_HEARTBEAT_MAX_AGE", default=120)

# Outgoing email (the analysis sent to the visitor, from the worker). `consolemail://` prints the
# messages (development); production: `smtp+tls://USER:PASSWORD@HOST:587`.
vars().update(env.email("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="IGV <no-reply@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# Email from the CRM (`crm.services.email`): the domain of the Message-IDs it writes, so replies
# are matched to what it sent. Replies are read over IMAP (`crm.mailbox`) when CRM_IMAP_URL is set
# (`imap://USER:PASSWORD@HOST:143` or `imaps://…:993`), from CRM_IMAP_FOLDER, by the worker every
# CRM_IMAP_POLL_SECONDS (`manage.py poll_mailbox` runs one round by hand).
CRM_EMAIL_DOMAIN = env.str("CRM_EMAIL_DOMAIN", default="crm.localhost")
CRM_IMAP_URL = env.str("CRM_IMAP_URL", default="")
CRM_IMAP_FOLDER = env.str("CRM_IMAP_FOLDER", default="INBOX")
CRM_IMAP_POLL_SECONDS = env.int("CRM_IMAP_POLL_SECONDS", default=180)
# The worker sends the reminders due every this many seconds (0: never; `send_reminders` by hand).
CRM_REMINDERS_SECONDS = env.int("CRM_REMINDERS_SECONDS", default=300)

# Fair automatic assignment of new form leads to the Sales group (`crm.assignment`); off by default.
CRM_AUTO_ASSIGN = env.bool("CRM_AUTO_ASSIGN", default=False)
# The site's public address, for absolute links in emails (no request to read it from in a worker).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Days an API token works after it is issued (`create_api_token`); see crm/models/tokens.py.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=90)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON bodies only, and a JSON answer to any refused input: see igv_site/api_input.py.
    "DEFAULT_PARSER_CLASSES": ["igv_site.api_input.JSONBodyParser"],
    "EXCEPTION_HANDLER": "igv_site.api_input.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "igv_site.api_input.LenientFormatNegotiation",
}
# The schema view is not an operation of the API it describes.
SPECTACULAR_SETTINGS = {
    "TITLE": "igv-crm API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Leads and contacts share the languages: one named enum, not two colliding ones.
    "ENUM_NAME_OVERRIDES": {"LanguageEnum": "mini_analysis.models.Language"},
}

# The admin shows each record's history; restoring an old version there would skip the CRM's
# services (conversion, stage entries), so it is off.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Brute-force protection of the admin login (django-axes).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
# A user name is locked only together with the address it was tried from, and that address is the
# client's as the rate limit reads it (TRUSTED_PROXY_COUNT), not the proxy's `REMOTE_ADDR`: a user
# name alone, or every client behind the proxy, would let anyone lock an administrator out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "mini_analysis.throttling.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Content-Security-Policy (django-csp 4): only our own scripts, styles and images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Security headers. HTTPS settings are on unless DEBUG, and every one can be set explicitly.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The host's health checker calls the service directly over plain HTTP: a redirect would answer
# 301 whatever the database's state, and a checker that counts 3xx as healthy would never see an
# outage. The answer says nothing secret (see `igv_site.views.healthz`).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "igv_site.log.RequestIdFilter"}},
    "formatters": {
        "line": {
            "()": "igv_site.log.OneLineFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s",
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "line",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "axes": {"level": "WARNING"},
    },
}
