"""CNN-1DNN and CNN-3DNN: VGG-16 convolutional features plus the 68 facial landmarks.

After the valence/arousal networks of the thesis in our sources: three levels of features are
taken from one VGG-16 trunk,

    low  = 2nd pooling output (128 channels), globally average-pooled
    mid  = last (5th) pooling output (512 channels), globally average-pooled
    high = a 4096-unit FC layer fed with the mid features concatenated with the 68 landmarks,

and go into small DNNs (two 128-unit layers). CNN-1DNN concatenates the three levels once and
feeds one DNN; CNN-3DNN gives each level its own DNN and concatenates the three outputs. The
heads (8-way emotion, valence/arousal) sit on top like for every registry model.

Global pooling (instead of flattening) keeps the trunk independent of the input size. Landmarks
come in normalised crop coordinates (ml/models/points.py); a face without landmarks (None, or a
row holding NaN) uses a learned default shape, so these models also run where no landmark
detector ran — with less information, which the model card should state.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision import models as tvm

from ml.models.base import Backbone
from ml.models.registry import register_model
from ml.models.tv import adapt_first_conv

NUM_LANDMARKS = 68
FC_UNITS = 4096
DNN_UNITS = 128


def _dnn(in_features: int, dropout: float = 0.3) -> nn.Sequential:
    """Two 128-unit layers with ReLU and dropout."""
    return nn.Sequential(
        nn.Linear(in_features, DNN_UNITS), nn.ReLU(inplace=True), nn.Dropout(dropout),
        nn.Linear(DNN_UNITS, DNN_UNITS), nn.ReLU(inplace=True),
    )  # fmt: skip


class LandmarkVGG(Backbone):
    """VGG-16 trunk + landmarks -> multi-level features -> one DNN (1DNN) or three (3DNN)."""

    uses_landmarks = True

    def __init__(self, in_chans: int, three_dnns: bool):
        trunk = tvm.vgg16_bn(weights=None)
        adapt_first_conv(trunk, in_chans)
        features = trunk.features
        pools = [i for i, m in enumerate(features) if isinstance(m, nn.MaxPool2d)]
        feature_dim = 3 * DNN_UNITS if three_dnns else DNN_UNITS
        super().__init__(features, feature_dim)
        self.low_end = pools[1] + 1  # layers [0, low_end) end with the 2nd pooling
        self.default_landmarks = nn.Parameter(torch.zeros(NUM_LANDMARKS, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(nn.Linear(512 + 2 * NUM_LANDMARKS, FC_UNITS), nn.ReLU(inplace=True), nn.Dropout(0.5))
        level_dims = (128, 512, FC_UNITS)
        self.three_dnns = three_dnns
        if three_dnns:
            self.dnns = nn.ModuleList(_dnn(d) for d in level_dims)
        else:
            self.dnns = nn.ModuleList([_dnn(sum(level_dims))])

    def fill_landmarks(self, landmarks: torch.Tensor | None, n: int) -> torch.Tensor:
        """(N, 68, 2) landmarks with missing faces replaced by the learned default shape."""
        default = self.default_landmarks.unsqueeze(0).expand(n, -1, -1)
        if landmarks is None:
            return default
        if landmarks.shape[1:] != (NUM_LANDMARKS, 2):
            raise ValueError(f"landmarks must be (N, {NUM_LANDMARKS}, 2), got {tuple(landmarks.shape)}")
        missing = torch.isnan(landmarks).flatten(1).any(dim=1).view(-1, 1, 1)
        return torch.where(missing, default, torch.nan_to_num(landmarks.to(default.dtype)))

    def forward(self, x: torch.Tensor, landmarks: torch.Tensor | None = None) -> torch.Tensor:
        low_map = self.features[: self.low_end](x)
        mid_map = self.features[self.low_end :](low_map)
        low = torch.flatten(self.pool(low_map), 1)
        mid = torch.flatten(self.pool(mid_map), 1)
        points = self.fill_landmarks(landmarks, x.shape[0]).flatten(1)
        high = self.fc(torch.cat([mid, points], dim=1))
        if self.three_dnns:
            return torch.cat([dnn(level) for dnn, level in zip(self.dnns, (low, mid, high), strict=True)], dim=1)
        return self.dnns[0](torch.cat([low, mid, high], dim=1))


@register_model("cnn_1dnn", min_input_size=32, default_input_size=112, uses_landmarks=True)
def cnn_1dnn(in_chans: int = 1, input_size: int = 112) -> Backbone:
    """CNN-1DNN: VGG-16 features + 68 landmarks, low/mid/high levels concatenated into one 2x128 DNN."""
    return LandmarkVGG(in_chans, three_dnns=False)


@register_model("cnn_3dnn", min_input_size=32, default_input_size=112, uses_landmarks=True)
def cnn_3dnn(in_chans: int = 1, input_size: int = 112) -> Backbone:
    """CNN-3DNN: VGG-16 features + 68 landmarks, one 2x128 DNN per level, outputs concatenated."""
    return LandmarkVGG(in_chans, three_dnns=True)
