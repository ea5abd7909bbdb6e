"""Finding the 68 landmarks of a dataset's items once: the work of the `datasets.landmarks` task.

Item images are face crops (FER-2013, FER+, AffectNet's faces as imported), so the whole image is
the face box; ml.faces.crop_landmarks.landmarks_of_crop runs the landmark backend on it (upscaled
when small). The points are stored on the item (`Item.landmarks`, the item image's pixels) and
read by every later use: training runs and leaderboard evaluations of landmark models
(webapp.training.materialize writes them) and dataset predictions.

Safe to run twice on the same job: only items without landmarks are done, and each batch is
stored in one transaction, so a worker that dies mid-way loses one batch at most.
"""

from __future__ import annotations

import time

import numpy as np
from django.db import transaction
from django.utils import timezone

from webapp.datasets.models import Item, LandmarkJob

BATCH_SIZE = 256
PROGRESS_EVERY_SECONDS = 0.5


def run_landmarks(job_id: int, landmarker) -> LandmarkJob:
    """Fill `Item.landmarks` for the job's dataset with `landmarker` (an ml LandmarkPredictor)."""
    job = LandmarkJob.objects.select_related("dataset").get(pk=job_id)
    if job.status == LandmarkJob.Status.DONE:
        return job
    items = Item.objects.filter(dataset=job.dataset)
    todo = items.filter(landmarks__isnull=True).order_by("id")
    job.status, job.message, job.backend = LandmarkJob.Status.RUNNING, "", landmarker.name
    job.total = items.count()
    job.processed = job.total - todo.count()
    job.save()
    try:
        last_saved, last_id = time.monotonic(), 0
        # By id, re-querying: items done are no longer in `todo`, unreadable ones are passed over.
        while batch := list(todo.filter(id__gt=last_id).only("id", "image")[:BATCH_SIZE]):
            job.unreadable += _find_batch(batch, landmarker)
            job.processed += len(batch)
            last_id = batch[-1].id
            if time.monotonic() - last_saved >= PROGRESS_EVERY_SECONDS:
                job.save(update_fields=["processed", "unreadable", "status"])
                last_saved = time.monotonic()
    except Exception as exc:
        # Never leave a job "running": say what broke; what was stored stays valid.
        job.status, job.message = LandmarkJob.Status.FAILED, f"{type(exc).__name__}: {exc}"
        job.finished_at = timezone.now()
        job.save()
        raise
    job.status, job.finished_at = LandmarkJob.Status.DONE, timezone.now()
    if job.unreadable:
        job.message = f"{job.unreadable} item images could not be read; they have no landmarks"
    job.save()
    return job


def _find_batch(items: list[Item], landmarker) -> int:
    """Landmarks of each readable item, stored together; returns how many images could not be read."""
    from ml.faces.crop_landmarks import landmarks_of_crop, to_json

    found = []
    for item in items:
        image = _load_image(item)
        if image is None:
            continue
        item.landmarks = to_json(landmarks_of_crop(image, landmarker))
        item.landmarks_backend = landmarker.name
        found.append(item)
    with transaction.atomic():
        Item.objects.bulk_update(found, ["landmarks", "landmarks_backend"])
    return len(items) - len(found)


def _load_image(item: Item) -> np.ndarray | None:
    from ml.data.source import DatasetError, decode_image

    try:
        with item.image.open("rb") as handle:
            return decode_image(handle.read(), 3, item.image.name)
    except (OSError, DatasetError):
        return None  # a missing or unreadable file: the item stays without landmarks
