"""Tiny real checkpoints for tests that need a second model version (promotion, registries)."""

from __future__ import annotations

from pathlib import Path

import torch

from ml.checkpoint import Checkpoint, save_checkpoint
from ml.models import create_model
from ml.taxonomy import get_label_set


def write_tiny_checkpoint(
    path: Path,
    arch: str = "simple_cnn",
    label_set: str = "affectnet8",
    seed: int = 0,
    task: str = "emotion",
    num_keypoints: int = 0,
) -> Path:
    """An untrained `arch` at 48x48 grayscale; different seeds give different bytes (and tags).

    `task` as ml records it: emotion (with a V/A head), va, or keypoints (with `num_keypoints`).
    """
    torch.manual_seed(seed)
    labels = get_label_set(label_set)
    va_head = task != "keypoints"
    model = create_model(arch, num_classes=labels.num_classes, in_chans=1, input_size=48, va_head=va_head,
                         num_keypoints=num_keypoints)  # fmt: skip
    checkpoint = Checkpoint(
        arch=arch,
        label_set=labels,
        input_size=48,
        in_chans=1,
        mean=[0.5],
        std=[0.25],
        state_dict=model.state_dict(),
        metrics={"accuracy": 0.5, "macro_f1": 0.25},
        config={"arch": arch, "epochs": 1, **({"task": task} if task != "emotion" else {})},
        va_head=va_head,
        num_keypoints=num_keypoints,
    )
    return save_checkpoint(path, checkpoint, include_training_state=False)
