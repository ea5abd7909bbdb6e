"""timm-style architecture registry: `@register_model("name")` and `create_model("name", ...)`.

A builder takes `in_chans` and `input_size` and returns a `Backbone`: a module mapping
(N, in_chans, H, W) to (N, feature_dim). `create_model` puts the 8-way emotion head and the
optional valence/arousal head on top, so every architecture answers the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn


@dataclass
class EmotionOutput:
    """Model output: emotion logits (N, C); with a V/A head, tanh valence/arousal (N, 2); with a
    keypoint head, (N, K, 2) keypoints in normalised crop coordinates (see ml/models/points.py)."""

    logits: torch.Tensor
    va: torch.Tensor | None = None
    keypoints: torch.Tensor | None = None


@dataclass(frozen=True)
class ModelSpec:
    name: str
    builder: Callable[..., Backbone]
    min_input_size: int
    default_input_size: int
    description: str


class Backbone(nn.Module):
    """Wraps a feature extractor and records the size of its pooled output.

    Backbones that also read the 68 facial landmarks set `uses_landmarks` and take
    `forward(x, landmarks)`; the others ignore landmarks entirely.
    """

    uses_landmarks = False

    def __init__(self, features: nn.Module, feature_dim: int):
        super().__init__()
        self.features = features
        self.feature_dim = feature_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.features(x), 1)


class EmotionNet(nn.Module):
    """Backbone + emotion head (+ valence/arousal head, + keypoint head). Metadata travels with the module.

    `landmarks` (N, 68, 2) in normalised crop coordinates reach backbones that use them (CNN-1DNN,
    CNN-3DNN); rows that are NaN, or landmarks=None, fall back to the backbone's learned default shape.
    """

    def __init__(
        self,
        arch: str,
        backbone: Backbone,
        num_classes: int,
        va_head: bool,
        dropout: float = 0.0,
        num_keypoints: int = 0,
    ):
        super().__init__()
        self.arch = arch
        self.backbone = backbone
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.head = nn.Linear(backbone.feature_dim, num_classes)
        self.va_head = nn.Linear(backbone.feature_dim, 2) if va_head else None
        self.keypoint_head = nn.Linear(backbone.feature_dim, 2 * num_keypoints) if num_keypoints else None
        if self.keypoint_head is not None:
            # Start by predicting (near) the crop centre: a default init can put points several crop
            # widths away, and the first epochs would only undo that.
            nn.init.normal_(self.keypoint_head.weight, std=1e-3)
            nn.init.zeros_(self.keypoint_head.bias)
        self.num_classes = num_classes
        self.num_keypoints = num_keypoints

    @property
    def uses_landmarks(self) -> bool:
        return self.backbone.uses_landmarks

    def forward(self, x: torch.Tensor, landmarks: torch.Tensor | None = None) -> EmotionOutput:
        features = self.backbone(x, landmarks) if self.backbone.uses_landmarks else self.backbone(x)
        features = self.dropout(features)
        va = torch.tanh(self.va_head(features)) if self.va_head is not None else None
        keypoints = None
        if self.keypoint_head is not None:
            keypoints = self.keypoint_head(features).view(-1, self.num_keypoints, 2)
        return EmotionOutput(logits=self.head(features), va=va, keypoints=keypoints)


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(
    name: str, min_input_size: int = 32, default_input_size: int = 48
) -> Callable[[Callable[..., Backbone]], Callable[..., Backbone]]:
    """Decorator adding a backbone builder `fn(in_chans, input_size) -> Backbone` to the registry."""

    def decorate(builder: Callable[..., Backbone]) -> Callable[..., Backbone]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered")
        doc = (builder.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = ModelSpec(name, builder, min_input_size, default_input_size, doc[0] if doc else "")
        return builder

    return decorate


def list_models() -> list[str]:
    _load_builders()
    return sorted(_REGISTRY)


def get_spec(name: str) -> ModelSpec:
    _load_builders()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; available: {', '.join(sorted(_REGISTRY))}") from None


def create_model(
    name: str,
    num_classes: int = 8,
    in_chans: int = 1,
    input_size: int = 48,
    va_head: bool = True,
    pretrained_path: str | Path | None = None,
    dropout: float = 0.0,
    num_keypoints: int = 0,
    class_names: Sequence[str] | None = None,
) -> EmotionNet:
    """Build a registered architecture with an emotion head (and V/A head, and a keypoint head when
    num_keypoints > 0); weights only from a local file. `class_names` (the head's classes, in order)
    lets a pretrained checkpoint of another label set keep its head rows for the classes both share."""
    spec = get_spec(name)
    if input_size < spec.min_input_size:
        raise ValueError(f"{name} needs input_size >= {spec.min_input_size}, got {input_size}")
    backbone = spec.builder(in_chans=in_chans, input_size=input_size)
    model = EmotionNet(name, backbone, num_classes, va_head, dropout, num_keypoints)
    model.input_size = input_size
    model.in_chans = in_chans
    if pretrained_path is not None:
        from ml.models.pretrained import load_pretrained

        load_pretrained(model, pretrained_path, class_names)
    return model


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def count_flops(model: EmotionNet, input_size: int, in_chans: int = 1) -> int:
    """Floating-point operations of one forward pass on one image (2 per multiply-add), counted by
    torch's FlopCounterMode on a real forward (convolutions and matrix products; cheap ops excluded)."""
    from torch.utils.flop_counter import FlopCounterMode

    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(torch.zeros(1, in_chans, input_size, input_size))
    model.train(was_training)
    return int(counter.get_total_flops())


def _load_builders() -> None:
    # Importing the builder modules runs their @register_model decorators.
    from ml.models import cnn, inception_resnet_v2, keypoints, landmark_nets, resnet_v2, tv  # noqa: F401
