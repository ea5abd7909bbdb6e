"""torchvision architectures as backbones: built with weights=None, first conv adapted to in_chans,
classifier removed (the emotion/VA heads replace it). Pretrained weights come only from a local file
(see ml/models/pretrained.py); nothing here downloads.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torchvision import models as tvm

from ml.models.base import Backbone
from ml.models.registry import register_model


def adapt_first_conv(model: nn.Module, in_chans: int) -> None:
    """Replace the first Conv2d with one taking `in_chans` channels (same kernel, stride, padding)."""
    for parent in model.modules():
        for child_name, child in parent.named_children():
            if isinstance(child, nn.Conv2d):
                if child.in_channels != in_chans:
                    conv = nn.Conv2d(
                        in_chans, child.out_channels, child.kernel_size, child.stride, child.padding,
                        child.dilation, child.groups if child.groups == 1 else in_chans, child.bias is not None,
                    )  # fmt: skip
                    setattr(parent, child_name, conv)
                return
    raise ValueError(f"{type(model).__name__} has no Conv2d to adapt")


class _TorchvisionBackbone(nn.Module):
    """Runs a torchvision classifier whose last Linear was replaced by Identity."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _strip_last_linear(seq: nn.Sequential) -> int:
    """Replace the last Linear of a classifier Sequential by Identity; return its in_features."""
    for i in range(len(seq) - 1, -1, -1):
        if isinstance(seq[i], nn.Linear):
            dim = seq[i].in_features
            seq[i] = nn.Identity()
            return dim
    raise ValueError("classifier has no Linear layer")


def _resnet(builder: Callable[..., nn.Module]) -> Callable[..., Backbone]:
    def build(in_chans: int = 1, input_size: int = 48) -> Backbone:
        net = builder(weights=None)
        adapt_first_conv(net, in_chans)
        dim = net.fc.in_features
        net.fc = nn.Identity()
        return Backbone(_TorchvisionBackbone(net), dim)

    return build


def _classifier_seq(builder: Callable[..., nn.Module]) -> Callable[..., Backbone]:
    """EfficientNet, MobileNetV3, ConvNeXt: keep the classifier minus its last Linear."""

    def build(in_chans: int = 1, input_size: int = 48) -> Backbone:
        net = builder(weights=None)
        adapt_first_conv(net, in_chans)
        dim = _strip_last_linear(net.classifier)
        return Backbone(_TorchvisionBackbone(net), dim)

    return build


def _vgg(builder: Callable[..., nn.Module]) -> Callable[..., Backbone]:
    """VGG conv stack + global average pooling (512-d). The 4096-unit FC layers are dropped: at face-crop
    sizes they would hold >100M parameters for little gain."""

    def build(in_chans: int = 1, input_size: int = 48) -> Backbone:
        net = builder(weights=None)
        adapt_first_conv(net, in_chans)
        return Backbone(nn.Sequential(net.features, nn.AdaptiveAvgPool2d(1)), 512)

    return build


def _densenet(builder: Callable[..., nn.Module]) -> Callable[..., Backbone]:
    def build(in_chans: int = 1, input_size: int = 48) -> Backbone:
        net = builder(weights=None)
        adapt_first_conv(net, in_chans)
        dim = net.classifier.in_features
        net.classifier = nn.Identity()
        return Backbone(_TorchvisionBackbone(net), dim)

    return build


def _squeezenet(in_chans: int = 1, input_size: int = 48) -> Backbone:
    net = tvm.squeezenet1_1(weights=None)
    adapt_first_conv(net, in_chans)
    return Backbone(nn.Sequential(net.features, nn.AdaptiveAvgPool2d(1)), 512)


INCEPTION_V3_VALID_MIN = 75  # smallest input its unpadded stem and reductions accept


def upsample_to_at_least(x: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinearly enlarge a batch whose height or width is under `size` px; larger inputs pass unchanged."""
    height, width = x.shape[-2:]
    if height >= size and width >= size:
        return x
    target = (max(height, size), max(width, size))
    return nn.functional.interpolate(x, size=target, mode="bilinear", align_corners=False)


class _UpsamplingTorchvisionBackbone(_TorchvisionBackbone):
    """A torchvision classifier that first brings inputs under `min_size` px up to it.

    For Inception-v3: its stem and reductions are unpadded, and torchvision's reductions pool with a
    functional max-pool that cannot be given padding (inception_resnet_v2 pads instead), so small face
    crops are upsampled to the smallest size the network takes. Nothing here holds weights, so the
    state-dict keys (and old checkpoints, and torchvision files) are those of the plain wrapper.
    """

    def __init__(self, net: nn.Module, min_size: int):
        super().__init__(net)
        self.min_size = min_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(upsample_to_at_least(x, self.min_size))


def _inception_v3(in_chans: int = 1, input_size: int = 299) -> Backbone:
    net = tvm.inception_v3(weights=None, aux_logits=False, init_weights=False, transform_input=False)
    adapt_first_conv(net, in_chans)
    dim = net.fc.in_features
    net.fc = nn.Identity()
    return Backbone(_UpsamplingTorchvisionBackbone(net, INCEPTION_V3_VALID_MIN), dim)


def _described(builder: Callable[..., Backbone], doc: str) -> Callable[..., Backbone]:
    builder.__doc__ = doc  # the registry shows a builder's first docstring line as its description
    return builder


def _register_all() -> None:
    kinds = [
        (["resnet18", "resnet34", "resnet50", "resnet101", "wide_resnet50_2", "wide_resnet101_2"], _resnet,
         "torchvision {}: residual network, fc removed."),
        (["vgg11_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"], _vgg,
         "torchvision {}: conv stack + global average pool (512-d); the 4096-unit FC layers dropped."),
        (["densenet121", "densenet201"], _densenet, "torchvision {}: densely connected network, classifier removed."),
        ([f"efficientnet_b{i}" for i in range(8)], _classifier_seq,
         "torchvision {}: compound-scaled MBConv network, last Linear removed."),
        (["mobilenet_v3_small", "mobilenet_v3_large", "convnext_tiny"], _classifier_seq,
         "torchvision {}: last Linear of the classifier removed."),
    ]  # fmt: skip
    for names, wrap, doc in kinds:
        for name in names:
            builder = _described(wrap(getattr(tvm, name)), doc.format(name))
            register_model(name, min_input_size=32, default_input_size=224)(builder)
    squeeze = _described(_squeezenet, "torchvision squeezenet1_1: fire modules + global average pool (512-d).")
    register_model("squeezenet1_1", min_input_size=48, default_input_size=224)(squeeze)
    inception = _described(
        _inception_v3, "torchvision inception_v3 (no aux logits), fc removed; inputs under 75 px are upsampled to 75."
    )
    register_model("inception_v3", min_input_size=32, default_input_size=299)(inception)


_register_all()
