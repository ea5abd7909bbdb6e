"""Measuring model versions: held-out and cross-dataset evaluations, and CPU latency per face.

Every dataset is measured on the same held-out part for every model (test if it has one,
else val, else a fixed tenth of its items: see webapp.training.materialize), with each
item's current label (its newest label of any source), so leaderboard cells compare.
"""

from __future__ import annotations

import logging
import math
import statistics
import tempfile
import time
from pathlib import Path

import torch

from webapp.core import storage
from webapp.datasets.models import Dataset, Label
from webapp.modelzoo.models import Evaluation, ModelVersion
from webapp.training.materialize import Materialized, NothingToTrainOn, materialize

log = logging.getLogger(__name__)

ALL_SOURCES = [choice for choice, _ in Label.Source.choices]
# Fewer shared classes than this and accuracy says little: the dataset is not compared.
MIN_SHARED_CLASSES = 2
LATENCY_RUNS, LATENCY_WARMUP = 30, 5


def evaluate_version(
    version: ModelVersion, datasets: list[Dataset] | None = None, work_dir: Path | None = None
) -> list[Evaluation]:
    """Evaluate on every dataset (or the ones given) that holds what the model predicts.

    Emotion models: datasets sharing classes with it; their V/A head (if any) is also measured
    where the dataset has annotated V/A. V/A models: datasets with annotated V/A. Keypoint
    models: datasets with keypoint labels of the same number of points.
    """
    from ml.checkpoint import load_checkpoint
    from ml.models import uses_landmarks

    checkpoint = load_checkpoint(version.path)
    task = data_task(checkpoint)
    # Landmark models (CNN-1DNN/3DNN) are measured with each item's landmarks, in their own folder.
    landmarks = uses_landmarks(checkpoint.arch) and task != "keypoints"
    suffix = "-landmarks" if landmarks else ""
    datasets = list(Dataset.objects.all()) if datasets is None else datasets
    evaluations = []
    with tempfile.TemporaryDirectory(prefix="fer-eval-") as scratch:
        base = Path(work_dir or scratch)
        for dataset in datasets:
            try:
                folder = base / f"dataset-{dataset.pk}-{task}{suffix}"
                data = materialize([dataset], ALL_SOURCES, folder, task=task, landmarks=landmarks)
            except NothingToTrainOn:
                continue  # nothing this model can be measured against
            evaluation = evaluate_on(version, dataset, data, checkpoint)
            if evaluation is not None:
                evaluations.append(evaluation)
    return evaluations


def data_task(checkpoint) -> str:
    """The materialisation a checkpoint is measured on: its own task's labels.

    An emotion model with a V/A head is measured like `both`, so the dataset's annotated V/A
    (never V/A derived from its emotions) is the ground truth for VA CCC.
    """
    if checkpoint.task in ("va", "keypoints"):
        return checkpoint.task
    return "both" if checkpoint.va_head else "emotion"


def evaluate_on(version: ModelVersion, dataset: Dataset, data: Materialized, checkpoint) -> Evaluation | None:
    """One Evaluation row (created or refreshed), or None when the dataset cannot measure the model."""
    from ml.evaluation.evaluate import evaluate_checkpoint

    role = data.held_out_role if data.size(data.held_out_role) else "train"
    why_not = _incomparable(checkpoint, data, role)
    if why_not:
        log.info("skip %s on %s: %s", version.tag, dataset.name, why_not)
        return None
    classifies = checkpoint.task not in ("va", "keypoints")
    png_name = f"evaluations/{version.pk}/dataset-{dataset.pk}-{role}.png" if classifies else ""
    path, split = data.source(role)
    with tempfile.TemporaryDirectory(prefix="fer-confusion-") as folder:
        png = Path(folder) / "confusion.png" if png_name else None
        result = evaluate_checkpoint(version.path, path, split, png)
        if png is not None:
            png_name = storage.store_file(png, png_name)
    report = result.report
    evaluation, _ = Evaluation.objects.update_or_create(
        model_version=version,
        dataset=dataset,
        split=role,
        defaults={
            "metrics": evaluation_metrics(result, data.size(role)),
            "per_class": report.per_class if report else {},
            "classes": report.classes if report else [],
            "confusion": report.confusion if report else [],
            "confusion_png": png_name,
        },
    )
    return evaluation


def _incomparable(checkpoint, data: Materialized, role: str) -> str | None:
    """Why this held-out data cannot measure the checkpoint, or None."""
    if checkpoint.task == "keypoints":
        if data.num_keypoints != checkpoint.num_keypoints:
            return f"{data.num_keypoints or 'no'} keypoints per item, the model predicts {checkpoint.num_keypoints}"
        return None
    if checkpoint.task == "va":
        return None if data.va_items.get(role) else "no annotated valence/arousal in the held-out split"
    shared = set(checkpoint.label_set.classes) & set(data.counts.get(role, {}))
    if len(shared) < MIN_SHARED_CLASSES:
        return f"shares {len(shared)} classes"
    return None


def evaluation_metrics(result, items: int) -> dict:
    """The figures of one evaluation, JSON-safe: classification summary, V/A and keypoint metrics.

    `report` is None for V/A-only and keypoint models; their figures are in `regression`.
    A non-finite figure (a metric undefined on this data) is stored as null, not as NaN.
    """
    metrics = {"num_items": items, "items_dropped": result.items_dropped, **result.regression}
    if result.report is not None:
        metrics.update(result.report.summary(), nll=result.report.nll, num_items=result.report.num_items)
    return {k: v if not isinstance(v, float) or math.isfinite(v) else None for k, v in metrics.items()}


def measure_cpu_latency(version: ModelVersion) -> float:
    """Median milliseconds for one face (batch of 1) through the network, on one CPU thread."""
    from ml.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(version.path)
    model = checkpoint.inference_model()
    shape = (1, checkpoint.in_chans, checkpoint.input_size, checkpoint.input_size)
    x = torch.zeros(shape)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            for _ in range(LATENCY_WARMUP):
                model(x)
            times = []
            for _ in range(LATENCY_RUNS):
                start = time.perf_counter()
                model(x)
                times.append((time.perf_counter() - start) * 1000)
    finally:
        torch.set_num_threads(threads)
    latency = round(statistics.median(times), 3)
    ModelVersion.objects.filter(pk=version.pk).update(cpu_latency_ms=latency)
    version.cpu_latency_ms = latency
    return latency


def measure_version(version: ModelVersion) -> list[Evaluation]:
    """Everything the leaderboard shows about a version: its latency and its evaluations."""
    measure_cpu_latency(version)
    return evaluate_version(version)
