"""Tiny real checkpoints for tests that need a second model version (promotion, registries)."""

from __future__ import annotations

from pathlib import Path

import torch

from ml.checkpoint import Checkpoint, save_checkpoint
from ml.models import create_model
from ml.taxonomy import get_label_set


def write_tiny_checkpoint(path: Path, arch: str = "simple_cnn", label_set: str = "affectnet8", seed: int = 0) -> Path:
    """An untrained `arch` at 48x48 grayscale; different seeds give different bytes (and tags)."""
    torch.manual_seed(seed)
    labels = get_label_set(label_set)
    model = create_model(arch, num_classes=labels.num_classes, in_chans=1, input_size=48, va_head=True)
    checkpoint = Checkpoint(
        arch=arch,
        label_set=labels,
        input_size=48,
        in_chans=1,
        mean=[0.5],
        std=[0.25],
        state_dict=model.state_dict(),
        metrics={"accuracy": 0.5, "macro_f1": 0.25},
        config={"arch": arch, "epochs": 1},
    )
    return save_checkpoint(path, checkpoint, include_training_state=False)
