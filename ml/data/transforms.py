"""Batch preprocessing and light augmentation on tensors (fast on CPU: one affine warp per batch).

Random draws are made on the CPU (seeded generators are CPU generators) and moved to the batch's
device, so a batch on a GPU is augmented there with the same draws as on the CPU.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F


def to_tensor(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 (N, H, W) or (N, H, W, C) -> float32 (N, C, H, W) in [0, 1]."""
    batch = torch.as_tensor(images)
    batch = batch.unsqueeze(1) if batch.ndim == 3 else batch.permute(0, 3, 1, 2)
    return batch.float().div_(255.0)


def normalize(batch: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    mean_t = torch.tensor(mean, dtype=batch.dtype, device=batch.device).view(1, -1, 1, 1)
    std_t = torch.tensor(std, dtype=batch.dtype, device=batch.device).view(1, -1, 1, 1)
    return (batch - mean_t) / std_t


def preprocess(images: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """What a model saw in training, minus augmentation: scale to [0, 1], then normalise per channel."""
    return normalize(to_tensor(images), mean, std)


def channel_stats(images: np.ndarray, max_items: int = 5000) -> tuple[list[float], list[float]]:
    """Per-channel mean/std of uint8 images in [0, 1] units (first max_items, for speed)."""
    sample = to_tensor(images[:max_items])
    return sample.mean(dim=(0, 2, 3)).tolist(), sample.std(dim=(0, 2, 3)).clamp_min(1e-3).tolist()


def random_affine(
    n: int,
    generator: torch.Generator,
    flip: bool = True,
    max_rotation: float = 10.0,
    max_shift: float = 0.1,
    scale: tuple[float, float] = (0.9, 1.1),
    max_shear: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image random flip, rotation (degrees), shift (fraction of size), zoom and horizontal shear (degrees).

    Returns theta (N, 2, 3) for F.affine_grid (output -> input coordinates) and which images were
    flipped (N,) bool, so ml.training.geometry can move landmarks/keypoints with their pixels: the
    whole warp, shear included, is in theta. The shear angle is drawn only when max_shear > 0, so
    a shear-free call consumes the generator exactly as before shear existed (same augmentation
    for the same seed).
    """

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(n, generator=generator) * (high - low) + low

    angle = uniform(-max_rotation, max_rotation) * math.pi / 180.0
    zoom = uniform(*scale)
    sign = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0) if flip else torch.ones(n)
    tx, ty = uniform(-max_shift, max_shift) * 2, uniform(-max_shift, max_shift) * 2  # grid units span [-1, 1]
    shear = torch.tan(uniform(-max_shear, max_shear) * math.pi / 180.0) if max_shear > 0 else torch.zeros(n)
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    # A = rotation/zoom @ [[1, shear], [0, 1]] @ diag(sign, 1); with shear 0 this is rotation/zoom @ flip.
    row_x = torch.stack([cos * sign, cos * shear - sin, tx], dim=1)
    row_y = torch.stack([sin * sign, sin * shear + cos, ty], dim=1)
    return torch.stack([row_x, row_y], dim=1), sign < 0


def warp(batch: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Resample (N, C, H, W) images through affine matrices from random_affine."""
    grid = F.affine_grid(theta.to(batch.device, batch.dtype), list(batch.shape), align_corners=False)
    return F.grid_sample(batch, grid, mode="bilinear", padding_mode="border", align_corners=False)


def augment(
    batch: torch.Tensor,
    generator: torch.Generator,
    flip: bool = True,
    max_rotation: float = 10.0,
    max_shift: float = 0.1,
    scale: tuple[float, float] = (0.9, 1.1),
    max_shear: float = 0.0,
) -> torch.Tensor:
    """Random horizontal flip, rotation (degrees), shift (fraction of size), zoom and shear, per image."""
    theta, _ = random_affine(batch.shape[0], generator, flip, max_rotation, max_shift, scale, max_shear)
    return warp(batch, theta)
