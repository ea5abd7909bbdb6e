"""Exponential moving average (EMA) of a model's weights, the copy that is validated and saved.

Long noisy schedules (strong augmentation, label smoothing, a small batch) make the weights of
any one step jitter; an average over the last few thousand steps generalises better and is what
strong image-classification recipes ship (e.g. torchvision's reference training, timm's
ModelEmaV2). The average covers BatchNorm's running statistics too, so the copy is a complete
model. The decay warms up as min(decay, (1 + t) / (10 + t)) so early, random weights are soon
forgotten; `steps` is saved with the run so a resumed run continues the same average.
"""

from __future__ import annotations

import copy

import torch


class WeightAverage:
    """An EMA copy of `model`: `update(model)` after every optimizer step; `module` is the averaged model."""

    def __init__(self, model: torch.nn.Module, decay: float):
        if not 0 < decay < 1:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.steps = 0
        self.module = copy.deepcopy(model).eval()
        for parameter in self.module.parameters():
            parameter.requires_grad_(False)

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.steps) / (10 + self.steps))

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        """Move the average towards `model`'s weights; integer buffers (BN's batch count) are copied."""
        decay = self.current_decay()
        for averaged, current in zip(self.module.state_dict().values(), model.state_dict().values(), strict=True):
            if averaged.dtype.is_floating_point:
                averaged.lerp_(current.detach(), 1.0 - decay)
            else:
                averaged.copy_(current)
        self.steps += 1

    def load(self, state_dict: dict, steps: int) -> None:
        """Restore the average saved by a run (its weights and how many updates it had)."""
        self.module.load_state_dict(state_dict)
        self.steps = steps
