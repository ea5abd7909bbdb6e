"""Architectures: every backbone gets an 8-way emotion head and a valence/arousal head.

Importing this package imports every family, whose `@register_model` decorators fill the
registry (ml/models/registry.py, a leaf that imports no network), as timm's models/__init__ does.
"""

from ml.models import cnn, inception_resnet_v2, keypoints, landmark_nets, resnet_v2, tv  # noqa: F401
from ml.models.base import Backbone, EmotionNet, EmotionOutput
from ml.models.factory import count_flops, count_parameters, create_model
from ml.models.registry import get_spec, list_models, register_model, uses_landmarks

__all__ = [
    "Backbone",
    "EmotionNet",
    "EmotionOutput",
    "count_flops",
    "count_parameters",
    "create_model",
    "get_spec",
    "list_models",
    "register_model",
    "uses_landmarks",
]
