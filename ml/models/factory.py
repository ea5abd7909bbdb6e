"""`create_model("name", ...)`: a registered backbone with the emotion, V/A and keypoint heads.

Every architecture answers the same way (`EmotionOutput`), so training, evaluation and the
prediction pipeline never ask which one they hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from ml.models.base import EmotionNet
from ml.models.registry import get_spec


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
