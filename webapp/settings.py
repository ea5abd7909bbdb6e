"""Django settings. Every value that varies by deployment comes from `webapp.config`."""

import dj_database_url

from webapp.config import BASE_DIR, FILE_SENDERS, load_config, storages_setting
from worker.logs import logging_config

CONFIG = load_config()

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "webapp.core",
    "webapp.accounts",
    "webapp.health",
    "webapp.datasets",
    "webapp.labeling",
    "webapp.modelzoo",
    "webapp.uploads",
    "webapp.training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "webapp.core.authentication.TokenForPagesMiddleware",  # API links work with the API's token
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out user name or address before the password is checked.
# The second backend also refuses guests whose labeling session has closed (see webapp/accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "webapp.accounts.backends.AccountBackend",
]
AXES_FAILURE_LIMIT = CONFIG.login_failure_limit
AXES_COOLOFF_TIME = CONFIG.login_lockout_minutes / 60  # hours
# Each alone: many passwords against one name from many addresses, or many names from one address.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_PROXY_COUNT = 1 if CONFIG.https else 0

ROOT_URLCONF = "webapp.urls"
WSGI_APPLICATION = "webapp.wsgi.application"

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
                "webapp.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(CONFIG.database_url, conn_max_age=60)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Web and worker write to the same SQLite file: wait for the lock instead of failing.
    # WAL lets pages read while a worker writes; IMMEDIATE avoids lock-upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        # synchronous=NORMAL is the documented safe pairing with WAL: no corruption, and a
        # commit no longer waits for the disk, at the price of the last commits on power loss.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = CONFIG.static_root
STATICFILES_DIRS = [BASE_DIR / "static"]
# No MEDIA_URL is routed: every stored file is sent by a view that checks who asks
# (webapp/core/files.py), then by django-sendfile2's backend (FILE_SENDER).
MEDIA_URL = "/no-public-media/"
MEDIA_ROOT = CONFIG.media_root
SENDFILE_BACKEND = FILE_SENDERS[CONFIG.file_sender]
SENDFILE_ROOT = str(MEDIA_ROOT)
SENDFILE_URL = CONFIG.file_sender_url
# Stored files: MEDIA_ROOT here, or a private S3 bucket (FER_S3_BUCKET) that every machine reaches,
# so a worker elsewhere needs no shared folder (webapp/core/storage.py). The S3 backend's files are
# streamed through the same checking views (webapp/core/files.py); no bucket URL reaches a browser.
STORAGES = storages_setting(CONFIG.s3)
# WhiteNoise serves static files straight from the source folders (no collectstatic step
# needed on one machine); the Docker image runs collectstatic into STATIC_ROOT.
WHITENOISE_USE_FINDERS = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes a bad login a 401, not a 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "webapp.core.authentication.AnonymousSessionCsrf",
    ],
    # Every view states its own permissions; this default only catches a forgotten one.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "webapp.core.api_errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # Read per request by webapp.core.throttles (DRF's own classes read them once, at import).
    "DEFAULT_THROTTLE_RATES": CONFIG.throttle_rates,
    # Behind the HTTPS proxy the client's address is the last X-Forwarded-For hop.
    "NUM_PROXIES": 1 if CONFIG.https else None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Facial emotion studio API",
    "DESCRIPTION": "Faces, 68 landmarks, emotions and valence/arousal; datasets, labeling and training.",
    "VERSION": "0.1.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request bodies get their own components, so a file field is `format: binary` in multipart
    # (an upload), not `format: uri` (a link in an answer): generated clients then send files.
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set, so `manage.py check --deploy` (which builds the schema) stays clean.
    "ENUM_NAME_OVERRIDES": {
        "LabelSourceEnum": "webapp.datasets.models.Label.Source",
        "ModelSourceEnum": "webapp.modelzoo.models.ModelVersion.Source",
        "DatasetFormatEnum": "webapp.datasets.models.Dataset.Format",
        "ImportFormatEnum": "webapp.datasets.serializers.IMPORT_FORMATS",
        "JobStatusEnum": "webapp.datasets.models.JobStatus",  # uploads have the same four states
        "TrainingRunStatusEnum": "webapp.training.models.TrainingRun.Status",
    },
}

# Celery: the worker reads these through `worker.celery_app` (namespace CELERY_).
CELERY_BROKER_URL = CONFIG.broker_url
CELERY_RESULT_BACKEND = CONFIG.result_backend
if CONFIG.broker_kind == "filesystem":
    # Embedded broker: messages are files in one folder that web and worker share.
    # Its folders are made by webapp.config.prepare_local_state, never by reading the settings.
    _broker_dir = CONFIG.broker_dir
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.1,  # seconds between looks at the folder; 1 s by default feels slow
    }
else:
    # Redis: every broker and result-store call gives up after BROKER_TIMEOUT_SECONDS, so a paused
    # or unreachable Redis costs a request seconds, not gunicorn's 120 s (see webapp.core.jobs).
    CELERY_BROKER_CONNECTION_TIMEOUT = CONFIG.broker_timeout_seconds
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_timeout": CONFIG.broker_timeout_seconds,
        "socket_connect_timeout": CONFIG.broker_timeout_seconds,
    }
    CELERY_REDIS_SOCKET_TIMEOUT = CONFIG.broker_timeout_seconds
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CONFIG.broker_timeout_seconds
    CELERY_REDIS_RETRY_ON_TIMEOUT = False
    # The result store's own reconnects: one quick retry, not Celery's twenty at one a second.
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
        "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
    }

APP = {
    "ALLOW_ANONYMOUS_DEMO": CONFIG.allow_anonymous_demo,
    "HEALTH_WORKER_TIMEOUT": CONFIG.health_worker_timeout,
    "BROKER_KIND": CONFIG.broker_kind,
    "MAX_IMPORT_BYTES": CONFIG.max_import_mb * 1024 * 1024,
    "MAX_UPLOAD_BYTES": int(CONFIG.max_upload_mb * 1024 * 1024),
    "PREDICT_WAIT_SECONDS": CONFIG.predict_wait_seconds,
    "IMPORT_ROOT": CONFIG.import_root,
    # Jobs: heartbeats, re-sends and the attempt limit (webapp.core.jobs).
    "JOB_HEARTBEAT_SECONDS": CONFIG.job_heartbeat_seconds,
    "JOB_STALE_SECONDS": CONFIG.job_stale_seconds,
    "JOB_RESEND_SECONDS": CONFIG.job_resend_seconds,
    "JOB_SWEEP_SECONDS": CONFIG.job_sweep_seconds,
    "JOB_MAX_ATTEMPTS": CONFIG.job_max_attempts,
    "BROKER_TIMEOUT_SECONDS": CONFIG.broker_timeout_seconds,
    # Local copies of stored files a worker needs as real paths (checkpoints, keyed by content hash).
    "CACHE_DIR": CONFIG.cache_dir,
}

# Throttle counts and lock-outs need one store that every web process shares.
if CONFIG.redis_url:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CONFIG.redis_url}}

# Content-Security-Policy: no inline script or style anywhere; everything comes from static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# HTTPS=true: the site is served over HTTPS (usually behind a proxy that sets X-Forwarded-Proto).
if CONFIG.https:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^api/health/$"]  # load balancers probe over plain HTTP inside the network
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# Dataset archives go straight to a temporary file, never into memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# One format for web and worker, each line with the job it belongs to (worker/logs.py).
LOGGING = logging_config("INFO")
