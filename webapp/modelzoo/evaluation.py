"""Measuring model versions: held-out and cross-dataset evaluations, and CPU latency per face.

Every dataset is measured on the same held-out part for every model (test if it has one,
else val, else a fixed tenth of its items: see webapp.training.materialize), with each
item's current label (its newest label of any source), so leaderboard cells compare.
"""

from __future__ import annotations

import logging
import statistics
import tempfile
import time
from pathlib import Path

import torch
from django.conf import settings

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
    """Evaluate on every dataset (or the ones given) whose labels share classes with the model."""
    from ml.checkpoint import load_checkpoint

    classes = set(load_checkpoint(version.path).label_set.classes)
    datasets = list(Dataset.objects.all()) if datasets is None else datasets
    evaluations = []
    with tempfile.TemporaryDirectory(prefix="fer-eval-") as scratch:
        base = Path(work_dir or scratch)
        for dataset in datasets:
            try:
                data = materialize([dataset], ALL_SOURCES, base / f"dataset-{dataset.pk}")
            except NothingToTrainOn:
                continue  # no labelled item at all
            evaluation = evaluate_on(version, dataset, data, classes)
            if evaluation is not None:
                evaluations.append(evaluation)
    return evaluations


def evaluate_on(version: ModelVersion, dataset: Dataset, data: Materialized, classes: set[str]) -> Evaluation | None:
    """One Evaluation row (created or refreshed), or None when the label sets barely overlap."""
    from ml.evaluation.evaluate import evaluate_checkpoint

    role = data.held_out_role if data.counts.get(data.held_out_role) else "train"
    shared = classes & set(data.counts.get(role, {}))
    if len(shared) < MIN_SHARED_CLASSES:
        log.info("skip %s on %s: shares %d classes", version.tag, dataset.name, len(shared))
        return None
    png_name = f"evaluations/{version.pk}/dataset-{dataset.pk}-{role}.png"
    result = evaluate_checkpoint(version.path, data.root, role, Path(settings.MEDIA_ROOT) / png_name)
    report = result.report
    metrics = {**report.summary(), "nll": report.nll, "num_items": report.num_items,
               "items_dropped": result.items_dropped}  # fmt: skip
    evaluation, _ = Evaluation.objects.update_or_create(
        model_version=version,
        dataset=dataset,
        split=role,
        defaults={"metrics": metrics, "per_class": report.per_class, "classes": report.classes,
                  "confusion": report.confusion, "confusion_png": png_name},
    )  # fmt: skip
    return evaluation


def measure_cpu_latency(version: ModelVersion) -> float:
    """Median milliseconds for one face (batch of 1) through the network, on one CPU thread."""
    from ml.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(version.path)
    model = checkpoint.build_model()
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
