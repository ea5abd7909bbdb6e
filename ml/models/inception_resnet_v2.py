"""Inception-ResNet-v2 (Szegedy et al., 2016, "Inception-v4, Inception-ResNet and the Impact of
Residual Connections on Learning"), written here because torchvision has none.

Layer widths follow the paper's Figures 3, 16-21 as used by the reference TF-slim model (and
timm's port of it): stem -> Mixed_5b -> 10 x Block35 -> Mixed_6a -> 20 x Block17 -> Mixed_7a ->
10 x Block8 -> 1x1 conv to 1536 -> global average pool. About 54M parameters.

The paper's stem and reduction blocks use unpadded ("valid") convolutions and need >= 75 px.
Below that, this builder pads them ("same"), which keeps every weight shape (a checkpoint loads
either way) and works down to 32 px; face crops of 48 px are common in our data.
"""

from __future__ import annotations

import torch
from torch import nn

from ml.models.base import Backbone
from ml.models.registry import register_model

VALID_MIN_SIZE = 75


class ConvBN(nn.Sequential):
    def __init__(self, cin: int, cout: int, kernel, stride: int = 1, padding=0):
        super().__init__(
            nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(cout, eps=1e-3),
            nn.ReLU(inplace=True),
        )


class _Branches(nn.Module):
    """Runs parallel branches on one input and concatenates their outputs along channels."""

    def __init__(self, *branches: nn.Module):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class _Residual(nn.Module):
    """x + scale * up(branches(x)), then ReLU (not after Block8's last, as in the reference)."""

    def __init__(self, branches: _Branches, concat: int, out: int, scale: float, relu: bool = True):
        super().__init__()
        self.branches = branches
        self.up = nn.Conv2d(concat, out, 1)
        self.scale = scale
        self.relu = nn.ReLU(inplace=True) if relu else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(x + self.scale * self.up(self.branches(x)))


def _block35(scale: float = 0.17) -> _Residual:
    branches = _Branches(
        ConvBN(320, 32, 1),
        nn.Sequential(ConvBN(320, 32, 1), ConvBN(32, 32, 3, padding=1)),
        nn.Sequential(ConvBN(320, 32, 1), ConvBN(32, 48, 3, padding=1), ConvBN(48, 64, 3, padding=1)),
    )
    return _Residual(branches, 128, 320, scale)


def _block17(scale: float = 0.10) -> _Residual:
    branches = _Branches(
        ConvBN(1088, 192, 1),
        nn.Sequential(ConvBN(1088, 128, 1), ConvBN(128, 160, (1, 7), padding=(0, 3)),
                      ConvBN(160, 192, (7, 1), padding=(3, 0))),
    )  # fmt: skip
    return _Residual(branches, 384, 1088, scale)


def _block8(scale: float = 0.20, relu: bool = True) -> _Residual:
    branches = _Branches(
        ConvBN(2080, 192, 1),
        nn.Sequential(ConvBN(2080, 192, 1), ConvBN(192, 224, (1, 3), padding=(0, 1)),
                      ConvBN(224, 256, (3, 1), padding=(1, 0))),
    )  # fmt: skip
    return _Residual(branches, 448, 2080, scale, relu)


def inception_resnet_v2_features(in_chans: int = 3, pad: bool = False) -> nn.Sequential:
    """The convolutional trunk, (N, in_chans, H, W) -> (N, 1536, h, w). `pad` = "same" stem/reductions."""
    p = 1 if pad else 0  # padding of the 3x3 convs and pools that are "valid" in the paper
    stem = nn.Sequential(
        ConvBN(in_chans, 32, 3, stride=2, padding=p), ConvBN(32, 32, 3, padding=p), ConvBN(32, 64, 3, padding=1),
        nn.MaxPool2d(3, stride=2, padding=p), ConvBN(64, 80, 1), ConvBN(80, 192, 3, padding=p),
        nn.MaxPool2d(3, stride=2, padding=p),
    )  # fmt: skip
    mixed_5b = _Branches(
        ConvBN(192, 96, 1),
        nn.Sequential(ConvBN(192, 48, 1), ConvBN(48, 64, 5, padding=2)),
        nn.Sequential(ConvBN(192, 64, 1), ConvBN(64, 96, 3, padding=1), ConvBN(96, 96, 3, padding=1)),
        nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False), ConvBN(192, 64, 1)),
    )  # 320 channels
    mixed_6a = _Branches(
        ConvBN(320, 384, 3, stride=2, padding=p),
        nn.Sequential(ConvBN(320, 256, 1), ConvBN(256, 256, 3, padding=1), ConvBN(256, 384, 3, stride=2, padding=p)),
        nn.MaxPool2d(3, stride=2, padding=p),
    )  # 1088 channels
    mixed_7a = _Branches(
        nn.Sequential(ConvBN(1088, 256, 1), ConvBN(256, 384, 3, stride=2, padding=p)),
        nn.Sequential(ConvBN(1088, 256, 1), ConvBN(256, 288, 3, stride=2, padding=p)),
        nn.Sequential(ConvBN(1088, 256, 1), ConvBN(256, 288, 3, padding=1), ConvBN(288, 320, 3, stride=2, padding=p)),
        nn.MaxPool2d(3, stride=2, padding=p),
    )  # 2080 channels
    return nn.Sequential(
        stem, mixed_5b,
        nn.Sequential(*[_block35() for _ in range(10)]), mixed_6a,
        nn.Sequential(*[_block17() for _ in range(20)]), mixed_7a,
        nn.Sequential(*[_block8() for _ in range(9)], _block8(scale=1.0, relu=False)),
        ConvBN(2080, 1536, 1),
    )  # fmt: skip


@register_model("inception_resnet_v2", min_input_size=32, default_input_size=299)
def inception_resnet_v2(in_chans: int = 1, input_size: int = 299) -> Backbone:
    """Inception-ResNet-v2 (own implementation after the paper), 1536-d pooled features, ~54M params."""
    trunk = inception_resnet_v2_features(in_chans, pad=input_size < VALID_MIN_SIZE)
    return Backbone(nn.Sequential(trunk, nn.AdaptiveAvgPool2d(1)), 1536)
