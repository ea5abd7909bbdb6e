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

    from ml.models.registry import count_parameters, create_model, get_spec, list_models

    found = []
    for name in list_models():
        spec = get_spec(name)
        with torch.device("meta"):
            model = create_model(name, num_classes=8, in_chans=1, input_size=spec.default_input_size)
        found.append(Architecture(name, spec.description, spec.min_input_size, spec.default_input_size,
                                  count_parameters(model)))  # fmt: skip
    return tuple(found)


def architecture_names() -> list[str]:
    from ml.models.registry import list_models

    return list_models()


def runs() -> QuerySet[TrainingRun]:
    return TrainingRun.objects.select_related("model_version", "created_by").prefetch_related("datasets")
