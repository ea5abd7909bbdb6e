"""Architecture registry: every backbone gets an 8-way emotion head and a valence/arousal head."""

from ml.models.registry import (
    EmotionNet,
    EmotionOutput,
    count_parameters,
    create_model,
    get_spec,
    list_models,
    register_model,
)

__all__ = [
    "EmotionNet",
    "EmotionOutput",
    "count_parameters",
    "create_model",
    "get_spec",
    "list_models",
    "register_model",
]
