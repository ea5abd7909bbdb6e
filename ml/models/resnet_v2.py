"""Pre-activation ResNets V2 (He et al., 2016, "Identity Mappings in Deep Residual Networks"),
laid out as Keras' ResNet50V2 / ResNet101V2 / ResNet152V2, written here because torchvision has none.

Each bottleneck block normalises and activates its input first (BN -> ReLU -> conv 1x1 -> BN ->
ReLU -> conv 3x3 -> BN -> ReLU -> conv 1x1) and adds the result to an untouched shortcut: nothing
follows the addition, so the identity path runs clean from the stem to the last block. As in
Keras, the stride of a stage sits in its *last* block (the last stage keeps its resolution), the
first block of a stage projects the shortcut with a 1x1 conv fed by the pre-activated input, and
one BN -> ReLU after the last stage normalises the features before global average pooling.

The network reduces the input 32-fold like any ResNet; with "same" padding everywhere it runs
from 32 px (a 48 px crop leaves a 2x2 map in the last stage). 2048-d pooled features.
"""

from __future__ import annotations

import torch
from torch import nn

from ml.models.base import Backbone
from ml.models.registry import register_model

EXPANSION = 4  # bottleneck output channels = 4 x its width
STAGE_WIDTHS = (64, 128, 256, 512)
DEPTHS: dict[str, tuple[int, int, int, int]] = {
    "resnet50v2": (3, 4, 6, 3),
    "resnet101v2": (3, 4, 23, 3),
    "resnet152v2": (3, 8, 36, 3),
}


class PreActBottleneck(nn.Module):
    """One pre-activation bottleneck: x + residual(BN-ReLU(x)), with no activation after the sum.

    `project` gives the shortcut a 1x1 conv (first block of a stage, where the width changes); a
    strided block without projection subsamples the shortcut with a 1x1 max-pool, as Keras does.
    """

    def __init__(self, cin: int, width: int, stride: int = 1, project: bool = False):
        super().__init__()
        cout = EXPANSION * width
        self.preact = nn.Sequential(nn.BatchNorm2d(cin, eps=1.001e-5), nn.ReLU(inplace=True))
        if project:
            self.shortcut: nn.Module = nn.Conv2d(cin, cout, 1, stride=stride)
        elif stride > 1:
            self.shortcut = nn.MaxPool2d(1, stride=stride)
        else:
            self.shortcut = nn.Identity()
        self.project = project
        self.residual = nn.Sequential(
            nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width, eps=1.001e-5), nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(width, eps=1.001e-5),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, cout, 1),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        activated = self.preact(x)
        # A projection reads the normalised input; an identity (or pooled) shortcut the raw one.
        shortcut = self.shortcut(activated if self.project else x)
        return shortcut + self.residual(activated)


def _stage(cin: int, width: int, blocks: int, stride: int) -> nn.Sequential:
    """`blocks` bottlenecks: the first projects to 4 x width, the last carries the stage's stride."""
    cout = EXPANSION * width
    layers = [PreActBottleneck(cin, width, stride=stride if blocks == 1 else 1, project=True)]
    layers += [PreActBottleneck(cout, width) for _ in range(blocks - 2)]
    if blocks > 1:
        layers.append(PreActBottleneck(cout, width, stride=stride))
    return nn.Sequential(*layers)


def resnet_v2_features(depths: tuple[int, int, int, int], in_chans: int = 3) -> nn.Sequential:
    """The trunk, (N, in_chans, H, W) -> (N, 2048, H/32, W/32), normalised and activated."""
    stem = nn.Sequential(
        nn.Conv2d(in_chans, 64, 7, stride=2, padding=3),  # Keras' V2 stem: biased conv, no BN before the pool
        nn.ZeroPad2d(1),  # Keras pads the pool with zeros (PyTorch's own pool padding would be -inf)
        nn.MaxPool2d(3, stride=2),
    )
    stages, cin = [], 64
    for i, (width, blocks) in enumerate(zip(STAGE_WIDTHS, depths, strict=True)):
        stages.append(_stage(cin, width, blocks, stride=1 if i == len(depths) - 1 else 2))
        cin = EXPANSION * width
    post = nn.Sequential(nn.BatchNorm2d(cin, eps=1.001e-5), nn.ReLU(inplace=True))
    return nn.Sequential(stem, *stages, post)


def _build(name: str, in_chans: int) -> Backbone:
    trunk = resnet_v2_features(DEPTHS[name], in_chans)
    return Backbone(nn.Sequential(trunk, nn.AdaptiveAvgPool2d(1)), EXPANSION * STAGE_WIDTHS[-1])


@register_model("resnet50v2", min_input_size=32, default_input_size=224)
def resnet50v2(in_chans: int = 1, input_size: int = 224) -> Backbone:
    """ResNet-50 V2 (pre-activation bottlenecks, He et al. 2016; Keras' layout), 2048-d features."""
    return _build("resnet50v2", in_chans)


@register_model("resnet101v2", min_input_size=32, default_input_size=224)
def resnet101v2(in_chans: int = 1, input_size: int = 224) -> Backbone:
    """ResNet-101 V2 (pre-activation bottlenecks, He et al. 2016; Keras' layout), 2048-d features."""
    return _build("resnet101v2", in_chans)


@register_model("resnet152v2", min_input_size=32, default_input_size=224)
def resnet152v2(in_chans: int = 1, input_size: int = 224) -> Backbone:
    """ResNet-152 V2 (pre-activation bottlenecks, He et al. 2016; Keras' layout), 2048-d features."""
    return _build("resnet152v2", in_chans)
