"""Every setting that comes from the environment, with its documented default, in one place.

Read once at start-up by `webapp.settings` and `worker.celery_app`. A bad value raises
`ConfigError` with one line that names the variable, what it got and what it takes;
`manage.py`, the WSGI entry point and the Celery app print that line and exit, so a typo
in a deployment never ends as a traceback.

Reading writes nothing. The local state a one-machine install needs (the folders under
FER_VAR_DIR and MEDIA_ROOT, and the generated secret key) is made by `prepare_local_state`,
which the entry points that may run first on a fresh machine call before Django loads the
settings: `manage.py` (so `make up`'s `manage.py migrate`) and `webapp.wsgi` (gunicorn).

| variable              | default                           | meaning                                             |
|-----------------------|-----------------------------------|-----------------------------------------------------|
| FER_VAR_DIR           | ./var                             | local state: SQLite file, media, broker folders      |
| DATABASE_URL          | sqlite:///$FER_VAR_DIR/db.sqlite3 | any URL dj-database-url understands (postgres://…)   |
| REDIS_URL             | (unset)                           | redis://host:port/db; unset = embedded file broker   |
| MEDIA_ROOT            | $FER_VAR_DIR/media                | uploaded photos, dataset items, checkpoints          |
| SECRET_KEY            | $FER_VAR_DIR/secret_key           | never empty; generated once by prepare_local_state   |
| FER_REQUIRE_SECRET_KEY| false                             | true: refuse to start without SECRET_KEY (servers)   |
| DEBUG                 | false                             | true/false (also 1/0, yes/no, on/off)                |
| ALLOWED_HOSTS         | localhost,127.0.0.1,[::1]         | comma-separated host names                           |
| ALLOW_ANONYMOUS_DEMO  | true                              | visitors without an account may use the demo upload  |
| HEALTH_WORKER_TIMEOUT | 5                                 | seconds the health check waits for a worker reply    |
| MAX_IMPORT_MB         | 2048                              | largest dataset file an admin may upload             |
| MAX_UPLOAD_MB         | 20                                | largest photo anyone may upload to the gallery/API   |
| PREDICT_WAIT_SECONDS  | 10                                | how long POST /api/predict/ waits before a 202       |
| IMPORT_ROOT           | (unset)                           | folder admins may import datasets from by path       |
| HTTPS                 | false                             | served over HTTPS behind a proxy: Secure cookies,    |
|                       |                                   | HSTS, redirect to https, X-Forwarded-Proto trusted   |
| FILE_SENDER           | django                            | who sends stored files after the check: django       |
|                       |                                   | (streams), nginx (X-Accel-Redirect), xsendfile       |
| FILE_SENDER_URL       | /protected/                       | nginx: the internal location that maps to MEDIA_ROOT |
| LOGIN_FAILURE_LIMIT   | 10                                | failed logins before a user name/address is locked   |
| LOGIN_LOCKOUT_MINUTES | 15                                | how long a lock-out lasts                            |
| THROTTLE_ANON_UPLOADS | 30/hour                           | anonymous photo uploads per address ("off" = none)   |
| THROTTLE_ANON_PREDICTIONS | 60/hour                       | anonymous POST /api/predict/ per address             |
| THROTTLE_JOINS        | 10/hour                           | invite-link joins per address                        |
| BROKER_TIMEOUT_SECONDS| 1                                 | connect/read timeout of one broker call (publishing) |
| JOB_HEARTBEAT_SECONDS | 10                                | how often a running job tells the database it lives  |
| JOB_STALE_SECONDS     | 60                                | a running job silent this long lost its worker       |
| JOB_RESEND_SECONDS    | 120                               | a job pending this long since its last send is re-sent |
| JOB_SWEEP_SECONDS     | 60                                | how often each worker looks for such jobs            |
| JOB_MAX_ATTEMPTS      | 3                                 | workers that may start a job before it is failed     |
| FER_S3_BUCKET         | (unset)                           | S3 bucket for stored files; unset = MEDIA_ROOT       |
| FER_S3_ENDPOINT_URL   | (unset = AWS)                     | http(s):// of an S3-compatible server (MinIO)        |
| FER_S3_ACCESS_KEY_ID  | (unset)                           | with FER_S3_SECRET_ACCESS_KEY; unset = boto3's chain |
| FER_S3_SECRET_ACCESS_KEY | (unset)                        | (AWS_* variables, instance role)                     |
| FER_S3_REGION         | (unset)                           | the bucket's region (us-east-1 for MinIO)            |
| FER_S3_PREFIX         | (empty)                           | key prefix inside the bucket, e.g. fer/              |
| FER_S3_URL_SECONDS    | 300                               | lifetime of a signed URL (never handed to browsers)  |
| FER_CACHE_DIR         | $FER_VAR_DIR/cache                | local copies a worker keeps (checkpoints by hash)    |

The face pipeline's FER_* settings (detector, landmarks, thresholds, weight files) are read here
too, into `Config.pipeline`, and parsed by `ml.settings.PipelineSettings.from_env`, which lists them.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

from ml.settings import PipelineSettings, parse_number

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ImproperlyConfigured):
    """A setting from the environment has a value the application cannot use.

    An `ImproperlyConfigured`, so that the worker's start-up (worker/celery_app.py) can report it
    without importing the webapp."""


def env_bool(name: str, default: bool, environ=os.environ) -> bool:
    raw = environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false (also 1/0, yes/no, on/off), got {raw!r}")


def env_number(name: str, default: float, minimum: float, maximum: float, environ=os.environ) -> float:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse_number(name, raw, float, minimum, maximum)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def pipeline_settings(environ=os.environ) -> PipelineSettings:
    """The face pipeline's FER_* settings (ml.settings), checked at start-up like every other one."""
    try:
        return PipelineSettings.from_env(environ)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def env_list(name: str, default: list[str], environ=os.environ) -> list[str]:
    raw = environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise ConfigError(f"{name} must be a comma-separated list with at least one entry, got {raw!r}")
    return items


def check_url(name: str, value: str, schemes: set[str]) -> str:
    scheme = urlparse(value).scheme
    if scheme not in schemes:
        allowed = ", ".join(sorted(s + "://" for s in schemes))
        raise ConfigError(f"{name} must start with one of {allowed}; got {value!r}")
    return value


def _secret_key(var_dir: Path, environ) -> str:
    key = environ.get("SECRET_KEY")
    if key is not None:
        if not key.strip():
            raise ConfigError("SECRET_KEY is set but empty")
        return key
    if env_bool("FER_REQUIRE_SECRET_KEY", False, environ):
        raise ConfigError("SECRET_KEY must be set: FER_REQUIRE_SECRET_KEY is on for this deployment")
    # One machine, no configuration: a random key kept in the local state folder (written by
    # prepare_local_state) so sessions survive restarts without anyone having to invent a secret.
    key_file = var_dir / SECRET_KEY_FILE
    try:
        return key_file.read_text().strip()
    except FileNotFoundError:
        raise ConfigError(
            f"SECRET_KEY is not set and {key_file} does not exist yet: start with `python manage.py migrate` "
            "(make up does), which creates it, or set SECRET_KEY"
        ) from None


@dataclass(frozen=True)
class S3Config:
    """Where stored files live when they are not under MEDIA_ROOT (read by webapp.core.storage)."""

    bucket: str
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str | None = None
    prefix: str = ""
    url_seconds: int = 300


@dataclass(frozen=True)
class Config:
    var_dir: Path
    database_url: str
    redis_url: str | None
    media_root: Path
    secret_key: str
    debug: bool
    allowed_hosts: list[str]
    allow_anonymous_demo: bool
    health_worker_timeout: float
    max_import_mb: int
    max_upload_mb: float
    predict_wait_seconds: float
    import_root: Path | None = None
    https: bool = False
    file_sender: str = "django"
    file_sender_url: str = "/protected/"
    login_failure_limit: int = 10
    login_lockout_minutes: float = 15
    throttle_rates: dict[str, str | None] = field(default_factory=dict)
    broker_timeout_seconds: float = 1.0
    job_heartbeat_seconds: float = 10
    job_stale_seconds: float = 60
    job_resend_seconds: float = 120
    job_sweep_seconds: float = 60
    job_max_attempts: int = 3
    s3: S3Config | None = None
    cache_dir: Path | None = None
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)

    @property
    def broker_url(self) -> str:
        return self.redis_url or "filesystem://"

    @property
    def result_backend(self) -> str:
        return self.redis_url or f"file://{self.var_dir / 'celery' / 'results'}"

    @property
    def broker_kind(self) -> str:
        return "redis" if self.redis_url else "filesystem"

    @property
    def broker_dir(self) -> Path:
        """The embedded filesystem broker's message folders live here (FILESYSTEM_BROKER_FOLDERS)."""
        return self.var_dir / "celery" / "broker"

    @property
    def static_root(self) -> Path:
        return self.var_dir / "staticfiles"


SECRET_KEY_FILE = "secret_key"
FILESYSTEM_BROKER_FOLDERS = ("queue", "processed", "control")


def _path(raw: str) -> Path:
    path = Path(raw).expanduser()
    return path if path.is_absolute() else BASE_DIR / path


def _var_dir(environ) -> Path:
    return _path(environ.get("FER_VAR_DIR", "var"))


def _media_root(environ, var_dir: Path) -> Path:
    return _path(environ.get("MEDIA_ROOT", str(var_dir / "media")))


def prepare_local_state(environ=os.environ) -> None:
    """Create what one machine keeps locally: the FER_VAR_DIR and MEDIA_ROOT folders, the static
    and embedded-broker folders, and (when SECRET_KEY is not set) the generated secret key file.

    Idempotent, and safe when several processes start at once. Called by the entry points before
    the settings load (manage.py, webapp.wsgi), never by importing the settings.
    """
    var_dir = _var_dir(environ)
    _make_directory("FER_VAR_DIR", var_dir)
    _make_directory("MEDIA_ROOT", _media_root(environ, var_dir))
    _make_directory("FER_VAR_DIR", var_dir / "staticfiles")
    if not environ.get("REDIS_URL"):
        for name in FILESYSTEM_BROKER_FOLDERS:
            _make_directory("FER_VAR_DIR", var_dir / "celery" / "broker" / name)
        _make_directory("FER_VAR_DIR", var_dir / "celery" / "results")
    if environ.get("SECRET_KEY") is None and not env_bool("FER_REQUIRE_SECRET_KEY", False, environ):
        _write_once(var_dir / SECRET_KEY_FILE, secrets.token_urlsafe(50))


def _make_directory(name: str, path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{name}: {str(path)!r} is not a folder that can be created: {exc.strerror}") from None


def _write_once(path: Path, text: str) -> None:
    """Write `path` (mode 600) unless it exists; a reader never sees it half written."""
    if path.exists():
        return
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
        with contextlib.suppress(FileExistsError):  # another process made it first: keep theirs
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def load_config(environ=os.environ) -> Config:
    """Read and check every setting; raise ConfigError on the first bad one. Writes nothing."""
    var_dir = _var_dir(environ)
    debug = env_bool("DEBUG", False, environ)
    database_url = check_url(
        "DATABASE_URL",
        environ.get("DATABASE_URL", f"sqlite:///{var_dir / 'db.sqlite3'}"),
        {"sqlite", "postgres", "postgresql", "pgsql"},
    )
    redis_url = environ.get("REDIS_URL") or None
    if redis_url:
        check_url("REDIS_URL", redis_url, {"redis", "rediss"})
    return Config(
        var_dir=var_dir,
        database_url=database_url,
        redis_url=redis_url,
        media_root=_media_root(environ, var_dir),
        debug=debug,
        allowed_hosts=env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"], environ),
        allow_anonymous_demo=env_bool("ALLOW_ANONYMOUS_DEMO", True, environ),
        health_worker_timeout=env_number("HEALTH_WORKER_TIMEOUT", 5.0, 0.1, 60.0, environ),
        max_import_mb=int(env_number("MAX_IMPORT_MB", 2048, 1, 1024 * 1024, environ)),
        max_upload_mb=env_number("MAX_UPLOAD_MB", 20, 0.01, 1024, environ),
        predict_wait_seconds=env_number("PREDICT_WAIT_SECONDS", 10, 0, 120, environ),
        import_root=_import_root(environ.get("IMPORT_ROOT", "")),
        https=env_bool("HTTPS", False, environ),
        file_sender=env_choice("FILE_SENDER", "django", set(FILE_SENDERS), environ),
        file_sender_url=environ.get("FILE_SENDER_URL", "/protected/"),
        login_failure_limit=int(env_number("LOGIN_FAILURE_LIMIT", 10, 1, 1000, environ)),
        login_lockout_minutes=env_number("LOGIN_LOCKOUT_MINUTES", 15, 0.1, 7 * 24 * 60, environ),
        throttle_rates={scope: env_rate(name, default, environ) for scope, (name, default) in THROTTLES.items()},
        pipeline=pipeline_settings(environ),
        **_job_settings(environ),
        s3=load_s3_config(environ),
        cache_dir=_path(environ.get("FER_CACHE_DIR", str(var_dir / "cache"))),  # made when first used
        secret_key=_secret_key(var_dir, environ),  # last: every other setting is checked first
    )


# Who sends a stored file's bytes once a view has checked the request (django-sendfile2 backends).
FILE_SENDERS = {
    "django": "django_sendfile.backends.simple",
    "nginx": "django_sendfile.backends.nginx",
    "xsendfile": "django_sendfile.backends.xsendfile",
}

# DRF throttle scope: (variable, default rate).
THROTTLES = {
    "anon_upload": ("THROTTLE_ANON_UPLOADS", "30/hour"),
    "anon_predict": ("THROTTLE_ANON_PREDICTIONS", "60/hour"),
    "join": ("THROTTLE_JOINS", "10/hour"),
}
_RATE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def env_rate(name: str, default: str, environ=os.environ) -> str | None:
    """A DRF rate such as "30/hour"; "off" (or "none") turns the throttle off (None)."""
    raw = environ.get(name, default).strip().lower()
    if raw in ("off", "none"):
        return None
    if not _RATE.match(raw):
        raise ConfigError(f"{name} must look like 30/hour (per second, minute, hour or day) or be off, got {raw!r}")
    return raw


def env_choice(name: str, default: str, choices: set[str], environ=os.environ) -> str:
    raw = environ.get(name, default).strip().lower()
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(sorted(choices))}, got {raw!r}")
    return raw


def _job_settings(environ) -> dict:
    """How long anything waits on the broker, and when the job sweeper steps in (webapp.core.jobs)."""
    heartbeat = env_number("JOB_HEARTBEAT_SECONDS", 10, 0.1, 3600, environ)
    stale = env_number("JOB_STALE_SECONDS", 60, 0.5, 24 * 3600, environ)
    if stale < 2 * heartbeat:
        raise ConfigError(
            f"JOB_STALE_SECONDS ({stale:g}) must be at least twice JOB_HEARTBEAT_SECONDS ({heartbeat:g}), "
            "or a live job would look dead"
        )
    return {
        "broker_timeout_seconds": env_number("BROKER_TIMEOUT_SECONDS", 1.0, 0.1, 60, environ),
        "job_heartbeat_seconds": heartbeat,
        "job_stale_seconds": stale,
        "job_resend_seconds": env_number("JOB_RESEND_SECONDS", 120, 0.5, 24 * 3600, environ),
        "job_sweep_seconds": env_number("JOB_SWEEP_SECONDS", 60, 0.1, 3600, environ),
        "job_max_attempts": int(env_number("JOB_MAX_ATTEMPTS", 3, 1, 100, environ)),
    }


def _import_root(raw: str) -> Path | None:
    """The one folder admins may import datasets from by server path; unset = no server-path imports."""
    if not raw.strip():
        return None
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = BASE_DIR / path
    if not path.is_dir():
        raise ConfigError(f"IMPORT_ROOT must be an existing folder, got {raw!r}")
    return path.resolve()


S3_CONNECT_TIMEOUT, S3_READ_TIMEOUT = 5, 30  # seconds per try


def load_s3_config(environ=os.environ) -> S3Config | None:
    """The object storage settings, or None (files under MEDIA_ROOT) when FER_S3_BUCKET is unset."""
    bucket = environ.get("FER_S3_BUCKET", "").strip()
    if not bucket:
        return None
    endpoint = environ.get("FER_S3_ENDPOINT_URL", "").strip() or None
    if endpoint:
        check_url("FER_S3_ENDPOINT_URL", endpoint, {"http", "https"})
    key_id = environ.get("FER_S3_ACCESS_KEY_ID", "").strip() or None
    secret = environ.get("FER_S3_SECRET_ACCESS_KEY", "").strip() or None
    if (key_id is None) != (secret is None):
        raise ConfigError("FER_S3_ACCESS_KEY_ID and FER_S3_SECRET_ACCESS_KEY go together: set both or neither")
    prefix = environ.get("FER_S3_PREFIX", "").strip().strip("/")
    return S3Config(
        bucket=bucket,
        endpoint_url=endpoint,
        access_key_id=key_id,
        secret_access_key=secret,
        region=environ.get("FER_S3_REGION", "").strip() or None,
        prefix=prefix,
        url_seconds=int(env_number("FER_S3_URL_SECONDS", 300, 10, 7 * 24 * 3600, environ)),
    )


def storages_setting(s3: S3Config | None) -> dict:
    """Django's STORAGES: MEDIA_ROOT on this machine, or a private S3 bucket when one is configured.

    Private means: no ACL is ever set on an object (the bucket's policy decides, and it grants
    nothing public), every URL the backend could make is signed and short-lived, and a name that
    exists is never overwritten (a second file gets a new name, as on the local disk).
    """
    staticfiles = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    if s3 is None:
        return {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}, "staticfiles": staticfiles}
    from botocore.config import Config as BotoConfig

    addressing = "path" if s3.endpoint_url else None  # MinIO and most S3-compatible servers: bucket/key paths
    options = {
        "bucket_name": s3.bucket,
        "endpoint_url": s3.endpoint_url,
        "access_key": s3.access_key_id,
        "secret_key": s3.secret_access_key,
        "region_name": s3.region,
        "location": s3.prefix,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": s3.url_seconds,
        "file_overwrite": False,
        "signature_version": "s3v4",
        "addressing_style": addressing,
        # Bounded waits, as for the broker: a stopped or paused storage server costs a request
        # seconds (three tries), not botocore's default of a minute per try.
        "client_config": BotoConfig(
            s3={"addressing_style": addressing},
            signature_version="s3v4",
            connect_timeout=S3_CONNECT_TIMEOUT,
            read_timeout=S3_READ_TIMEOUT,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
        # A file read through Django (a photo sent to its owner) is buffered on disk past this size.
        "max_memory_size": 16 * 1024 * 1024,
    }
    return {"default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}, "staticfiles": staticfiles}
