"""Small CNNs written for 48x48 face crops: the 5-conv baseline and a VGG-style net (the default)."""

from __future__ import annotations

import torch
from torch import nn

from ml.models.base import Backbone
from ml.models.registry import register_model


def _conv_bn(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


@register_model("simple_cnn", min_input_size=32)
def simple_cnn(in_chans: int = 1, input_size: int = 48) -> Backbone:
    """Simple 5-conv CNN (64-128-256-512-512, pooling after each of the last four), ~3.9M params."""
    widths = [64, 128, 256, 512, 512]
    layers: list[nn.Module] = []
    cin = in_chans
    for i, cout in enumerate(widths):
        layers += _conv_bn(cin, cout)
        if i > 0:
            layers.append(nn.MaxPool2d(2))
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1)]
    return Backbone(nn.Sequential(*layers), widths[-1])


def _vgg_stages(in_chans: int, stages: list[tuple[int, int]], dropout: float) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    cin = in_chans
    for width, depth in stages:
        for _ in range(depth):
            layers += _conv_bn(cin, width)
            cin = width
        layers += [nn.MaxPool2d(2), nn.Dropout2d(dropout) if dropout else nn.Identity()]
    return nn.Sequential(*layers), cin


@register_model("vgg_fer", min_input_size=32)
def vgg_fer(in_chans: int = 1, input_size: int = 48) -> Backbone:
    """VGG-style net for FER (2x32, 2x64, 2x128, 2x256 conv-BN-ReLU, GAP, 256-unit FC), ~1.3M params."""
    features, dim = _vgg_stages(in_chans, [(32, 2), (64, 2), (128, 2), (256, 2)], dropout=0.0)
    head = nn.Sequential(
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(dim, 256), nn.ReLU(inplace=True), nn.Dropout(0.3)
    )
    return Backbone(nn.Sequential(features, head), 256)


@register_model("vgg_fer_wide", min_input_size=32)
def vgg_fer_wide(in_chans: int = 1, input_size: int = 48) -> Backbone:
    """Wider VGG-style net (2x64, 2x128, 3x256, 3x256 like FER+'s VGG13, GAP, 512 FC), ~3.6M params."""
    features, dim = _vgg_stages(in_chans, [(64, 2), (128, 2), (256, 3), (256, 3)], dropout=0.0)
    head = nn.Sequential(
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(dim, 512), nn.ReLU(inplace=True), nn.Dropout(0.4)
    )
    return Backbone(nn.Sequential(features, head), 512)


@register_model("vgg_fer_fast", min_input_size=32)
def vgg_fer_fast(in_chans: int = 1, input_size: int = 48) -> Backbone:
    """Fast VGG-style net (5x5 stride-2 stem 32, 32, 2x64, 2x128, 256, GAP, 256 FC), ~0.7M params, ~50 MFLOPs."""
    # Full-resolution convolutions dominate vgg_fer's cost on CPU (they are memory-bound at 48x48),
    # so the stem halves the resolution at once; its 5x5 kernel keeps the receptive field of two 3x3s.
    stem = [nn.Conv2d(in_chans, 32, 5, stride=2, padding=2, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True)]
    features, dim = _vgg_stages(32, [(32, 1), (64, 2), (128, 2)], dropout=0.0)
    head = nn.Sequential(
        *_conv_bn(dim, 256),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(256, 256),
        nn.ReLU(inplace=True),
        nn.Dropout(0.3),
    )
    return Backbone(nn.Sequential(*stem, features, head), 256)


class _MultiLevel(nn.Module):
    """Globally pools the output of every stage and concatenates them (shallow texture + deep shape cues)."""

    def __init__(self, stages: list[nn.Module]):
        super().__init__()
        self.stages = nn.ModuleList(stages)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        pooled = []
        for stage in self.stages:
            x = stage(x)
            pooled.append(torch.flatten(self.pool(x), 1))
        return torch.cat(pooled, dim=1)


@register_model("mldrnet", min_input_size=32)
def mldrnet(in_chans: int = 1, input_size: int = 48) -> Backbone:
    """MldrNet-style multi-level representation net: VGG stages 32-64-128-256, pooled features of all four."""
    stages, cin = [], in_chans
    for width in (32, 64, 128, 256):
        stages.append(nn.Sequential(*_conv_bn(cin, width), *_conv_bn(width, width), nn.MaxPool2d(2)))
        cin = width
    return Backbone(_MultiLevel(stages), 32 + 64 + 128 + 256)
