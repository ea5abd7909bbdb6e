"""ResNet facial-keypoint regressor for small grey crops (Kaggle facial keypoints: 15 points, 96x96).

A torchvision ResNet-18 with a lighter stem: one stride-2 3x3 conv and no max-pool, so a 96 px
crop still has a 6x6 map in the last stage (the standard 7x7/2 conv + pool would leave 3x3 and
lose the spatial precision keypoints need). Train it with `task="keypoints"`: create_model adds
a keypoint head of 2 * K outputs when `num_keypoints=K`.
"""

from __future__ import annotations

from torch import nn
from torchvision import models as tvm

from ml.models.base import Backbone
from ml.models.registry import register_model
from ml.models.tv import _TorchvisionBackbone


@register_model("keypoint_resnet18", min_input_size=32, default_input_size=96)
def keypoint_resnet18(in_chans: int = 1, input_size: int = 96) -> Backbone:
    """ResNet-18 with a 3x3 stride-2 stem and no max-pool, for keypoint regression on 96 px crops."""
    net = tvm.resnet18(weights=None)
    net.conv1 = nn.Conv2d(in_chans, 64, 3, stride=2, padding=1, bias=False)
    net.maxpool = nn.Identity()
    dim = net.fc.in_features
    net.fc = nn.Identity()
    return Backbone(_TorchvisionBackbone(net), dim)
