"""timm-style architecture registry: `@register_model("name")` adds a builder; a leaf module.

A builder takes `in_chans` and `input_size` and returns a `Backbone` (ml/models/base.py): a
module mapping (N, in_chans, H, W) to (N, feature_dim). The registry imports no network: the
families register themselves when `ml.models` imports them (ml/models/__init__.py), and
`create_model` (ml/models/factory.py) puts the heads on top.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ml.models.base import Backbone


@dataclass(frozen=True)
class ModelSpec:
    name: str
    builder: Callable[..., Backbone]
    min_input_size: int
    default_input_size: int
    description: str
    # Whether the backbone also reads the 68 landmarks (forward(x, landmarks)): callers that hold no
    # network yet (materialising a run's data, a dataset evaluation) ask here to know they must supply them.
    uses_landmarks: bool = False


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(
    name: str, min_input_size: int = 32, default_input_size: int = 48, uses_landmarks: bool = False
) -> Callable[[Callable[..., Backbone]], Callable[..., Backbone]]:
    """Decorator adding a backbone builder `fn(in_chans, input_size) -> Backbone` to the registry."""

    def decorate(builder: Callable[..., Backbone]) -> Callable[..., Backbone]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered")
        doc = (builder.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = ModelSpec(
            name, builder, min_input_size, default_input_size, doc[0] if doc else "", uses_landmarks
        )
        return builder

    return decorate


def list_models() -> list[str]:
    return sorted(_REGISTRY)


def uses_landmarks(name: str) -> bool:
    """Whether architecture `name` reads 68 landmarks besides the image (CNN-1DNN, CNN-3DNN)."""
    return get_spec(name).uses_landmarks


def get_spec(name: str) -> ModelSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; available: {', '.join(sorted(_REGISTRY))}") from None
