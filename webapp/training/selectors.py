"""Reading for the training pages: the architectures on offer, runs with their datasets."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.db.models import QuerySet

from webapp.training.models import TrainingRun


@dataclass(frozen=True)
class Architecture:
    name: str
    description: str
    min_input_size: int
    default_input_size: int
    parameter_count: int  # 8 classes, grayscale, at default_input_size


@lru_cache(maxsize=1)
def architectures() -> tuple[Architecture, ...]:
    """Every registered architecture with its parameter count (built on the meta device: no memory, no weights)."""
    import torch

    from ml.models import count_parameters, create_model, get_spec, list_models

    found = []
    for name in list_models():
        spec = get_spec(name)
        with torch.device("meta"):
            model = create_model(name, num_classes=8, in_chans=1, input_size=spec.default_input_size)
        found.append(Architecture(name, spec.description, spec.min_input_size, spec.default_input_size,
                                  count_parameters(model)))  # fmt: skip
    return tuple(found)


def architecture_names() -> list[str]:
    from ml.models import list_models

    return list_models()


def missing_labels(task: str, datasets, sources: list[str]) -> str | None:
    """Why these datasets and label sources cannot teach `task` (a message for the launch form), or None.

    Checked before a run is recorded, so a launch that could only fail on the worker is refused with a 400.
    va also needs an emotion on the same items: ml's AffectNet reader drops rows without one.
    """
    from webapp.datasets.models import Label
    from webapp.training.materialize import annotated_va_labels, keypoint_labels

    labels = Label.objects.filter(item__dataset__in=datasets, source__in=sources)
    if task == TrainingRun.Task.KEYPOINTS:
        if not keypoint_labels(datasets, sources).exists():
            return "the chosen datasets have no keypoint label from these sources (import facial keypoints)"
        return None
    if task == TrainingRun.Task.VA:
        va_items = annotated_va_labels(datasets, sources).values("item_id")
        if not labels.filter(item_id__in=va_items, emotion__isnull=False).exists():
            return (
                "the chosen datasets have no item with annotated valence/arousal and an emotion label from these "
                "sources (import AffectNet, or accept a labeling session that collects V/A)"
            )
        return None
    if not labels.filter(emotion__isnull=False).exists():
        return "the chosen datasets have no emotion label from these sources"
    return None


def runs() -> QuerySet[TrainingRun]:
    return TrainingRun.objects.select_related("model_version", "created_by").prefetch_related("datasets")
