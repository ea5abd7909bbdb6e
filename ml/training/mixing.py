"""Mixup and CutMix on whole batches: images blended (or a box pasted) with a shuffled copy of the batch.

Mixup (Zhang et al., ICLR 2018) blends two faces and their targets with a weight lam ~ Beta(alpha,
alpha); CutMix (Yun et al., ICCV 2019) pastes a box covering 1 - lam of the image from the partner
face and mixes the targets by the area actually pasted. Both are regularisers the strong image
recipes use on long schedules. Targets are distributions (one-hot, smoothed later, or FER+ votes),
so the mixed target is their convex combination; annotated V/A is mixed the same way (a row whose
V/A is missing stays missing: NaN propagates, and the V/A loss masks it).

Every draw (the partner order, lam, the box) comes from the batch's generator, so a seeded run and
its exact resume mix the same way; with mixing off nothing is drawn. Points cannot follow a blend,
so batches carrying landmarks or keypoints are never mixed (the loop checks).
"""

from __future__ import annotations

import math

import numpy as np
import torch

MIX_MODES = ("none", "mixup", "cutmix")


def draw_lambda(generator: torch.Generator, alpha: float) -> float:
    """lam ~ Beta(alpha, alpha), drawn through a numpy generator seeded from `generator` (torch's Beta has none)."""
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    return float(np.random.default_rng(seed).beta(alpha, alpha))


def cutmix_box(height: int, width: int, lam: float, generator: torch.Generator) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of a box of about (1 - lam) of the image, centred at a random pixel, clipped."""
    ratio = math.sqrt(1.0 - lam)
    box_h, box_w = int(height * ratio), int(width * ratio)
    cy = int(torch.randint(0, height, (1,), generator=generator))
    cx = int(torch.randint(0, width, (1,), generator=generator))
    top, bottom = max(cy - box_h // 2, 0), min(cy + box_h - box_h // 2, height)
    left, right = max(cx - box_w // 2, 0), min(cx + box_w - box_w // 2, width)
    return top, left, bottom, right


def mix_batch(
    images: torch.Tensor,
    targets: torch.Tensor,
    va: torch.Tensor | None,
    generator: torch.Generator,
    mode: str,
    alpha: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Mix (N, C, H, W) images, (N, K) targets and (N, 2) V/A (or None) with a shuffled partner per item."""
    if mode == "none" or images.shape[0] < 2:
        return images, targets, va
    if mode not in MIX_MODES:
        raise ValueError(f"mix must be one of {MIX_MODES}, got {mode!r}")
    partner = torch.randperm(images.shape[0], generator=generator)
    lam = draw_lambda(generator, alpha)
    if mode == "mixup":
        images = images * lam + images[partner] * (1.0 - lam)
    else:
        height, width = images.shape[-2:]
        top, left, bottom, right = cutmix_box(height, width, lam, generator)
        images = images.clone()
        images[:, :, top:bottom, left:right] = images[partner][:, :, top:bottom, left:right]
        lam = 1.0 - (bottom - top) * (right - left) / (height * width)  # the share actually kept
    mixed_targets = targets * lam + targets[partner] * (1.0 - lam)
    mixed_va = None if va is None else va * lam + va[partner] * (1.0 - lam)
    return images, mixed_targets, mixed_va
