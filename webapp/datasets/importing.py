"""Running an import: records from the uploaded file become items and original labels.

Called by the `datasets.import` Celery task. Safe to run twice on the same job (a worker
that died hands the task back): every item is keyed by its content hash, so a second run
skips what the first one stored, and the counters are recomputed, not added to.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from webapp.core import storage
from webapp.core.images import BadImageError, inspect_image
from webapp.datasets import records as readers
from webapp.datasets.archive import ArchiveError, FolderTree, SafeZip, resolve_server_path
from webapp.datasets.models import Dataset, ImportJob, Item, Label, item_image_path

log = logging.getLogger(__name__)

MAX_STORED_ERRORS = 500
CHUNK_SIZE = 200
PROGRESS_EVERY_SECONDS = 0.5


def source_path(job: ImportJob, stack: ExitStack) -> Path:
    """The file or folder the job reads: its upload, or its server path (re-checked against IMPORT_ROOT).

    An upload in object storage is downloaded to a temporary file that `stack` removes (zip
    archives need a seekable local file); on the local disk it is read where it is stored.
    """
    if job.server_path:
        return resolve_server_path(job.server_path, settings.APP["IMPORT_ROOT"])
    return stack.enter_context(storage.local_file(job.source.name))


Counted = tuple[Callable[[], int], Iterator[readers.Record]]


def open_records(job: ImportJob, stack: ExitStack, path: Path | None = None) -> Counted:
    """(a function counting the records, the record iterator) for the job's file (or `path`, a local copy of it).

    Counting reads the whole file (hundreds of MB for AffectNet), so only the worker does it;
    a file of the wrong shape raises here or on the iterator's first step.
    """
    path = path or source_path(job, stack)
    fmt = job.dataset.format
    csv_formats = (Dataset.Format.FER2013_CSV, Dataset.Format.FACIAL_KEYPOINTS)
    if path.is_dir():
        if fmt in csv_formats:
            raise readers.FormatError(f"{Dataset.Format(fmt).label} imports take the CSV file, not a folder")
        return _tree_records(fmt, stack.enter_context(FolderTree(path)))
    if fmt == Dataset.Format.FER2013_CSV:
        if readers.is_zip(path):
            raise readers.FormatError("FER-2013 imports take the CSV file itself, not a zip")
        with open(path, "rb") as handle:
            data = handle.read()
        return (lambda: readers.count_fer2013_records(data)), readers.fer2013_records(data)
    if fmt == Dataset.Format.FACIAL_KEYPOINTS:
        open_csv = _keypoints_csv(path, stack)
        return (lambda: readers.count_keypoints_records(open_csv)), readers.keypoints_records(open_csv)
    if not readers.is_zip(path):
        raise readers.FormatError(f"{Dataset.Format(fmt).label} imports take a zip archive or a server folder")
    return _tree_records(fmt, stack.enter_context(SafeZip(path)))


def _tree_records(fmt: str, tree: SafeZip | FolderTree) -> Counted:
    if fmt == Dataset.Format.FERPLUS:
        return (lambda: readers.count_ferplus_records(tree)), readers.ferplus_records(tree)
    if fmt == Dataset.Format.AFFECTNET:
        return (lambda: readers.count_affectnet_records(tree)), readers.affectnet_records(tree)
    return (lambda: readers.count_class_folder_records(tree)), readers.class_folder_records(tree)


def _keypoints_csv(path: Path, stack: ExitStack):
    """A function opening the keypoints CSV as text: the file itself, or the one CSV in a zip (Kaggle ships one)."""
    if not readers.is_zip(path):
        return lambda: open(path, encoding="utf-8-sig", newline="")
    archive = stack.enter_context(SafeZip(path))
    members = [i for i in archive.files() if i.filename.lower().endswith(".csv")]
    if len(members) != 1:
        raise readers.FormatError(f"a facial-keypoints zip must hold exactly one CSV; found {len(members)}")
    return lambda: archive.open_text(members[0])


def check_source(job: ImportJob, path: Path | None = None) -> None:
    """Fail fast, in the request, on a file that is not in the promised format.

    `path`: the upload's own temporary file, when it has one, so a large upload is not read
    back from object storage in the request.
    """
    with ExitStack() as stack:
        _, records = open_records(job, stack, path)
        if next(records, None) is None:  # reads the header and at most one record, not the file
            raise readers.FormatError("the file holds no images to import")


class _Progress:
    def __init__(self, job: ImportJob):
        self.job = job
        self.last_saved = 0.0
        self.hashes_seen: set[str] = set()  # in this run, to tell a repeat in the file from a retry

    def record_error(self, where: str, message: str) -> None:
        self.job.error_count += 1
        if len(self.job.errors) < MAX_STORED_ERRORS:
            self.job.errors.append({"where": where, "message": message})

    def save(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last_saved >= PROGRESS_EVERY_SECONDS:
            fields = ["processed", "imported", "duplicates", "error_count", "errors", "total", "status"]
            self.job.save(update_fields=fields)
            self.last_saved = now


def run_import(job_id: int) -> ImportJob:
    """Import the claimed job's records from the start (a re-run counts items already stored as duplicates)."""
    job = ImportJob.objects.select_related("dataset").get(pk=job_id)
    if job.status == ImportJob.Status.DONE:
        return job
    job.status = ImportJob.Status.RUNNING
    job.started_at = job.started_at or timezone.now()
    job.processed = job.imported = job.duplicates = job.error_count = 0
    job.errors = []
    job.save(update_fields=["status", "started_at", "processed", "imported", "duplicates", "error_count", "errors"])
    progress = _Progress(job)
    log.info("importing %s (%s) into dataset %r", job.source_name, job.dataset.format, job.dataset.name)
    try:
        with ExitStack() as stack:
            count, records = open_records(job, stack)
            job.total = count()
            log.info("%d records to read", job.total)
            # One transaction per chunk: SQLite commits are the slow part of an import.
            for chunk in _chunks(records, CHUNK_SIZE):
                with transaction.atomic():
                    for record in chunk:
                        _import_record(job, record, progress)
                        job.processed += 1
                progress.save()
    except (ArchiveError, readers.FormatError) as exc:
        job.status, job.message = ImportJob.Status.FAILED, str(exc)
    except Exception as exc:
        # Never leave a job "running" forever: say what broke, keep what was stored, re-raise.
        job.status, job.message = ImportJob.Status.FAILED, f"unexpected error: {type(exc).__name__}: {exc}"
        job.finished_at = timezone.now()
        job.save()
        log.exception("import failed after %d of %d records", job.processed, job.total)
        raise
    else:
        job.status = ImportJob.Status.DONE
    job.finished_at = timezone.now()
    job.save()
    log.info(
        "import %s: %d imported, %d duplicates, %d bad records%s",
        job.status, job.imported, job.duplicates, job.error_count, f" ({job.message})" if job.message else "",
    )
    return job


def _chunks(iterable, size: int):
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _import_record(job: ImportJob, record: readers.Record, progress: _Progress) -> None:
    if record.error:
        progress.record_error(record.where, record.error)
        return
    try:
        info = inspect_image(record.image)
    except BadImageError as exc:
        progress.record_error(record.where, str(exc))
        return
    content_hash = hashlib.sha256(record.image).hexdigest()
    if content_hash in progress.hashes_seen:
        job.duplicates += 1
        return
    progress.hashes_seen.add(content_hash)
    owner = list(
        Item.objects.filter(dataset=job.dataset, content_hash=content_hash).values_list("import_job", flat=True)
    )
    if owner:
        # Stored by this job on an earlier run (a retried task) counts as imported, else a duplicate.
        if owner[0] == job.pk:
            job.imported += 1
        else:
            job.duplicates += 1
        return
    try:
        with transaction.atomic():  # a savepoint: one bad row never undoes its chunk
            _store_item(job, record, info, content_hash)
    except IntegrityError:  # the same bytes twice in one file, or another run a moment ago
        job.duplicates += 1
        return
    job.imported += 1


def _store_item(job: ImportJob, record: readers.Record, info, content_hash: str) -> Item:
    item = Item(
        dataset=job.dataset,
        split=record.split,
        content_hash=content_hash,
        source_name=record.where[:500],
        import_job=job,
        width=info.width,
        height=info.height,
    )
    name = item_image_path(item, "image" + info.suffix)
    if not default_storage.exists(name):  # same bytes, same name: a retry reuses the file
        name = default_storage.save(name, ContentFile(record.image))
    item.image.name = name
    item.save()
    Label.objects.create(
        item=item,
        source=Label.Source.ORIGINAL,
        emotion=record.emotion,
        votes=record.votes,
        valence=record.valence,
        arousal=record.arousal,
        keypoints=record.keypoints,
    )
    return item
