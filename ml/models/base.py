"""The module every architecture returns: a `Backbone` (features) inside an `EmotionNet` (heads).

Kept apart from the registry so that the registry imports no network and a family imports only
what it builds on (timm keeps its base classes the same way).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class EmotionOutput:
    """Model output: emotion logits (N, C); with a V/A head, tanh valence/arousal (N, 2); with a
    keypoint head, (N, K, 2) keypoints in normalised crop coordinates (see ml/models/points.py)."""

    logits: torch.Tensor
    va: torch.Tensor | None = None
    keypoints: torch.Tensor | None = None


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
