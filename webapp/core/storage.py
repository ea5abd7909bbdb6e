"""Stored files through Django's storage API, so web and workers share them without a shared folder.

On one machine the default storage is MEDIA_ROOT (FileSystemStorage); with FER_S3_BUCKET it is a
private S3 bucket (webapp.config.storages_setting). Code that only needs bytes opens and saves
through `default_storage` or the FileField; code whose library wants a real path (ml's dataset
readers, torch.load, zipfile on a large archive) asks here for a local file: on the local disk
that is the stored file itself (no copy, as before), elsewhere a download.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage


def is_local(storage: Storage | None = None) -> bool:
    """True when stored files are files on this machine's disk (they have a path)."""
    storage = storage or default_storage
    try:
        storage.path("probe")
    except NotImplementedError:
        return False
    return True


def probe(timeout: float = 2.0) -> str:
    """Say where stored files go, after checking that place is usable; raise when it is not.

    The bucket is asked with a client of its own whose waits are `timeout` seconds and which does
    not retry, so the health page answers quickly even when the storage server is paused.
    """
    if is_local():
        root = Path(settings.MEDIA_ROOT)
        if not root.is_dir() or not os.access(root, os.W_OK):
            raise OSError(f"MEDIA_ROOT {root} is not a writable folder")
        return f"files under MEDIA_ROOT ({root})"
    import boto3
    from botocore.config import Config

    options = settings.STORAGES["default"]["OPTIONS"]
    client = boto3.client(
        "s3",
        endpoint_url=options.get("endpoint_url"),
        region_name=options.get("region_name"),
        aws_access_key_id=options.get("access_key"),
        aws_secret_access_key=options.get("secret_key"),
        config=Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1}),
    )
    client.head_bucket(Bucket=options["bucket_name"])
    return f"bucket {options['bucket_name']} at {options.get('endpoint_url') or 'AWS S3'}"


def read_bytes(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def place(name: str, target: Path) -> None:
    """Put the stored file `name` at `target`: a hard link on the local disk (no copy), else a download."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_local():
        source = default_storage.path(name)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
        return
    _download(name, target)


@contextmanager
def local_file(name: str) -> Iterator[Path]:
    """A real path holding the stored file for the time of the `with` block.

    The stored file itself on the local disk; a temporary download, removed afterwards, elsewhere.
    """
    if is_local():
        yield Path(default_storage.path(name))
        return
    with tempfile.TemporaryDirectory(prefix="fer-stored-") as folder:
        target = Path(folder) / PurePosixPath(name).name
        _download(name, target)
        yield target


def cached_copy(name: str, key: str) -> Path:
    """A local path for the stored file `name`, downloaded once per machine and kept.

    `key` must change whenever the content does (a content hash, such as a model version's tag):
    the copy is reused without asking the storage again. On the local disk this is the stored
    file itself. The path may not exist when the stored file is gone; callers check `is_file()`.
    """
    if is_local():
        return Path(default_storage.path(name))
    target = Path(settings.APP["CACHE_DIR"]) / "stored" / _safe(key) / PurePosixPath(name).name
    if not target.is_file() and default_storage.exists(name):
        target.parent.mkdir(parents=True, exist_ok=True)
        _download(name, target)
    return target


def store_file(path: Path, name: str) -> str:
    """Store the local file `path` as `name`, replacing what was stored there; the stored name.

    Replacing keeps a retried job idempotent: the second attempt's file takes the same name.
    """
    if default_storage.exists(name):
        default_storage.delete(name)
    with open(path, "rb") as handle:
        return default_storage.save(name, File(handle, name=PurePosixPath(name).name))


def _download(name: str, target: Path) -> None:
    """Copy a stored file to `target` through a partial file, so a reader never sees half of it."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with default_storage.open(name, "rb") as handle:
            s3_object = getattr(handle, "obj", None)  # django-storages' S3File: boto3's managed transfer
            if s3_object is not None:
                s3_object.download_file(str(partial))
            else:
                with open(partial, "wb") as out:
                    shutil.copyfileobj(handle, out, 1024 * 1024)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _safe(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", key)[:120] or "_"
