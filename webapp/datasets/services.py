"""Dataset changes started from a request: accepting an import and handing it to a worker."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath

from django.conf import settings
from django.db import transaction

from webapp.core import jobs
from webapp.core.exceptions import ApplicationError
from webapp.datasets import records as readers
from webapp.datasets.archive import ArchiveError, resolve_server_path
from webapp.datasets.importing import check_source
from webapp.datasets.models import Dataset, ImportJob, LandmarkJob, PredictionJob
from webapp.datasets.tasks import DATASET_LANDMARKS, DATASET_PREDICTION, IMPORT


class ImportRejected(ApplicationError):
    """The import cannot start; nothing was stored. The message is for the user (the API: 400 on the
    field that named the source, `file` or `server_path`)."""

    field = "file"


def start_import(
    *, name: str, format: str, upload=None, server_path: str = "", user=None, description: str = ""
) -> ImportJob:
    """Check the upload (or the server path under IMPORT_ROOT), record an ImportJob and queue it on `cpu`.

    The file's overall shape (zip safety, format, header) is checked here, so a wrong file
    gets an answer at once and leaves no dataset, job or file behind. A refusal names the field
    that gave the source (`server_path` or `file`).
    """
    try:
        return _start_import(
            name=name, format=format, upload=upload, server_path=server_path, user=user, description=description
        )
    except ImportRejected as exc:
        exc.field = "server_path" if server_path else "file"
        raise


def _start_import(*, name: str, format: str, upload, server_path: str, user, description: str) -> ImportJob:
    if (upload is None) == (not server_path):
        raise ImportRejected("give either a file to upload or a server path, not both")
    limit = settings.APP["MAX_IMPORT_BYTES"]
    if upload is not None and upload.size > limit:
        raise ImportRejected(f"the file is {upload.size:,} bytes; the import limit is {limit:,} (MAX_IMPORT_MB)")
    if server_path:
        try:
            resolve_server_path(server_path, settings.APP["IMPORT_ROOT"])
        except ArchiveError as exc:
            raise ImportRejected(str(exc)) from None
    name = name.strip()
    if not name:
        raise ImportRejected("a dataset needs a name")
    job = None
    try:
        with transaction.atomic():
            dataset, _ = Dataset.objects.get_or_create(
                name=name, defaults={"format": format, "description": description, "created_by": user}
            )
            if dataset.format != format:
                raise ImportRejected(f"dataset {name!r} holds {dataset.format} data; import {format} into a new one")
            if upload is not None:
                job = ImportJob(dataset=dataset, source_name=PurePath(upload.name).name[:300], created_by=user)
                with _upload_on_disk(upload) as path:  # checked before it is stored (perhaps far away)
                    check_source(job, path)
                job.source.save(job.source_name or "upload", upload, save=False)
            else:
                job = ImportJob(
                    dataset=dataset, source_name=server_path[-300:], server_path=server_path, created_by=user
                )
                check_source(job)
            job.save()
            jobs.send_after_commit(IMPORT, job.pk)
    except (ArchiveError, readers.FormatError, ImportRejected) as exc:
        if job is not None and job.source:
            job.source.delete(save=False)
        raise ImportRejected(str(exc)) from None
    return job


@contextmanager
def _upload_on_disk(upload) -> Iterator[Path]:
    """The uploaded file as a local path: Django's temporary file for a large one, else a copy of the bytes."""
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        yield Path(temporary())
        return
    with tempfile.TemporaryDirectory(prefix="fer-upload-") as folder:
        path = Path(folder) / "upload"
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        yield path


class DatasetJobRejected(ApplicationError):
    """A dataset job (predictions, landmarks) cannot start; the message is for the user (the API: 400 on `dataset`)."""

    field = "dataset"


def start_prediction(dataset: Dataset, user=None) -> PredictionJob:
    """Queue `datasets.predict` over the dataset with the active model; one unfinished job per dataset and version."""
    from webapp.modelzoo.services import PromotionError, active_version

    try:
        version = active_version()
    except PromotionError as exc:
        raise DatasetJobRejected(str(exc)) from None
    if not dataset.items.exists():
        raise DatasetJobRejected("the dataset has no items yet")
    with transaction.atomic():
        unfinished = PredictionJob.objects.filter(
            dataset=dataset,
            model_version=version,
            status__in=[PredictionJob.Status.PENDING, PredictionJob.Status.RUNNING],
        ).first()
        if unfinished is not None:
            return unfinished  # pressing the button twice does not queue the work twice
        job = PredictionJob.objects.create(
            dataset=dataset, model_version=version, total=dataset.items.count(), created_by=user
        )
        jobs.send_after_commit(DATASET_PREDICTION, job.pk)
    return job


def start_landmarks(dataset: Dataset, user=None) -> LandmarkJob:
    """Queue `datasets.landmarks` for the dataset's items that have no landmarks; one unfinished job per dataset.

    Refused (DatasetJobRejected: 400 on `dataset`) when there are no items, or none without landmarks.
    """
    if not dataset.items.exists():
        raise DatasetJobRejected("the dataset has no items yet")
    missing = dataset.items.filter(landmarks__isnull=True).count()
    with transaction.atomic():
        unfinished = LandmarkJob.objects.filter(
            dataset=dataset, status__in=[LandmarkJob.Status.PENDING, LandmarkJob.Status.RUNNING]
        ).first()
        if unfinished is not None:
            return unfinished  # pressing the button twice does not queue the work twice
        if not missing:
            raise DatasetJobRejected("every item of the dataset has its landmarks already")
        job = LandmarkJob.objects.create(dataset=dataset, total=dataset.items.count(), created_by=user)
        jobs.send_after_commit(DATASET_LANDMARKS, job.pk)
    return job
