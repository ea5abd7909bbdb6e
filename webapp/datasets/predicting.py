"""Classifying a dataset's items with one model version: the work of the `datasets.predict` task.

Item images are face crops already, so they go straight to the classifier (no detection); landmark
models (CNN-1DNN/3DNN) also get the item's landmarks (`Item.landmarks`) scaled to their input size.
Safe to run twice on the same job: items the version already answered are skipped, and
each batch is stored in one transaction, so a worker that dies mid-way loses one batch at most.
"""

from __future__ import annotations

import math
import time

import numpy as np
from django.db import transaction
from django.utils import timezone

from ml.taxonomy import AFFECTNET8, EMOTIONS, derive_va
from webapp.datasets.models import Item, ItemPrediction, PredictionJob

BATCH_SIZE = 128
PROGRESS_EVERY_SECONDS = 0.5
_classifiers: dict[str, object] = {}  # tag -> ml.pipeline.Classifier, one per worker process


class StaleModelError(ValueError):
    """The checkpoint file no longer holds the weights its model version was registered with."""


def classifier_for(version):
    """The version's classifier, loaded once per process and checked against its tag."""
    from ml.pipeline import Classifier

    if version.tag not in _classifiers:
        classifier = Classifier(version.path)
        if classifier.version != version.tag:
            raise StaleModelError(f"{version.checkpoint} now holds {classifier.version}, not {version.tag}")
        _classifiers.clear()  # keep one: a dataset run is long, versions change rarely
        _classifiers[version.tag] = classifier
    return _classifiers[version.tag]


def run_prediction(job_id: int) -> PredictionJob:
    job = PredictionJob.objects.select_related("model_version", "dataset").get(pk=job_id)
    if job.status == PredictionJob.Status.DONE:
        return job
    items = Item.objects.filter(dataset=job.dataset)
    todo = items.exclude(predictions__model_version=job.model_version).order_by("id")
    job.status, job.message = PredictionJob.Status.RUNNING, ""
    job.total = items.count()
    job.processed = job.total - todo.count()
    job.save()
    try:
        classifier = classifier_for(job.model_version)
        last_saved = time.monotonic()
        for batch in _batches(todo.only("id", "image", "width", "height", "landmarks"), BATCH_SIZE):
            _predict_batch(job, classifier, batch)
            job.processed += len(batch)
            if time.monotonic() - last_saved >= PROGRESS_EVERY_SECONDS:
                job.save(update_fields=["processed", "status"])
                last_saved = time.monotonic()
    except Exception as exc:
        # Never leave a job "running": say what broke; what was stored stays valid.
        job.status, job.message, job.finished_at = (
            PredictionJob.Status.FAILED,
            f"{type(exc).__name__}: {exc}",
            timezone.now(),
        )
        job.save()
        raise
    job.status, job.finished_at = PredictionJob.Status.DONE, timezone.now()
    job.save()
    return job


def _batches(queryset, size: int):
    """Batches by id, re-querying each time: the set shrinks as predictions are stored."""
    last_id = 0
    while batch := list(queryset.filter(id__gt=last_id)[:size]):
        yield batch
        last_id = batch[-1].id


def _predict_batch(job: PredictionJob, classifier, items: list[Item]) -> None:
    crops, kept = [], []
    for item in items:
        crop = _load_crop(item, classifier)
        if crop is not None:
            crops.append(crop)
            kept.append(item)
    if not crops:
        return
    landmarks = [_crop_landmarks(item, classifier.input_size) for item in kept] if classifier.uses_landmarks else None
    probs, va = classifier(classifier.preprocess(crops), landmarks)
    rows = [_prediction(job, classifier, item, probs[i], None if va is None else va[i]) for i, item in enumerate(kept)]
    with transaction.atomic():
        # ignore_conflicts: a second worker on the same job may have stored some of these meanwhile.
        ItemPrediction.objects.bulk_create(rows, ignore_conflicts=True)


def _load_crop(item: Item, classifier) -> np.ndarray | None:
    from ml.data.source import DatasetError, decode_image, fit_size

    try:
        with item.image.open("rb") as handle:
            image = decode_image(handle.read(), 1 if classifier.grayscale else 3, item.image.name)
    except (OSError, DatasetError):
        return None  # a missing or unreadable file: the item stays without a prediction
    return fit_size(image, classifier.input_size)


def _crop_landmarks(item: Item, size: int) -> np.ndarray | None:
    """The item's stored landmarks in pixels of the size x size input the classifier sees (None: none found)."""
    from ml.faces.crop_landmarks import from_json, resize_points

    points = from_json(item.landmarks)
    return None if points is None else resize_points(points, (item.width, item.height), size)


def _prediction(job, classifier, item: Item, probs: np.ndarray, va: np.ndarray | None) -> ItemPrediction:
    top = int(np.argmax(probs))
    if classifier.va_learned and va is not None:
        valence, arousal, source = float(np.clip(va[0], -1, 1)), float(np.clip(va[1], -1, 1)), "learned"
    else:
        (valence, arousal), source = derive_va(probs, AFFECTNET8), "derived"
    return ItemPrediction(
        item=item,
        model_version=job.model_version,
        emotion=EMOTIONS[top],
        probs={e: round(float(p), 5) for e, p in zip(EMOTIONS, probs, strict=True)},
        top_probability=float(probs[top]),
        entropy=entropy_bits(probs),
        valence=valence,
        arousal=arousal,
        va_source=source,
    )


def entropy_bits(probs) -> float:
    """Shannon entropy in bits: 0 when the model is sure, log2(8) = 3 when it cannot choose."""
    return float(-sum(p * math.log2(p) for p in probs if p > 0))
