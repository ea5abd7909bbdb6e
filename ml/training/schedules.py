"""Learning-rate schedules, stepped once per batch: a linear warm-up, then cosine decay or step decay.

Both are a LambdaLR over the step count, so a checkpoint's scheduler state (the step count) is
all a resumed run needs to continue on the same curve.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

from ml.training.config import TrainConfig


def warmup_factor(step: int, warmup_steps: int) -> float | None:
    """The warm-up multiplier (step + 1) / warmup_steps while warming up; None once it is over."""
    return (step + 1) / warmup_steps if step < warmup_steps else None


def cosine_factor(warmup_steps: int, total_steps: int) -> Callable[[int], float]:
    """Linear warm-up, then cosine decay from 1 to 0 at total_steps."""

    def factor(step: int) -> float:
        warm = warmup_factor(step, warmup_steps)
        if warm is not None:
            return warm
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))

    return factor


def step_factor(
    warmup_steps: int, steps_per_epoch: int, gamma: float, step_size: int, milestones: Sequence[int] = ()
) -> Callable[[int], float]:
    """Linear warm-up, then gamma ** (decays so far): one decay every step_size epochs, or one after each
    milestone's number of epochs when milestones are given (like torch's StepLR / MultiStepLR). With
    step_size 10 or milestones (10, 20): epochs 1-10 at the base LR, 11-20 at gamma x base, ...
    """

    def factor(step: int) -> float:
        warm = warmup_factor(step, warmup_steps)
        if warm is not None:
            return warm
        epochs_done = step // steps_per_epoch
        decays = sum(epochs_done >= m for m in milestones) if milestones else epochs_done // step_size
        return gamma**decays

    return factor


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """The schedule the config names, over config.epochs x steps_per_epoch batches."""
    warmup_steps = int(config.warmup_epochs * steps_per_epoch)
    if config.schedule == "step":
        factor = step_factor(warmup_steps, steps_per_epoch, config.gamma, config.step_size, config.milestone_epochs())
    else:
        factor = cosine_factor(warmup_steps, steps_per_epoch * config.epochs)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
