"""Augmentation that moves points with the pixels: landmarks and keypoints follow the same random
flip, rotation, shift and zoom as their image, and a flip re-indexes left/right points.

The random transform is ml.data.transforms.random_affine, the one plain image augmentation uses,
so a batch without points is warped exactly as before; points are in normalised coordinates
(ml/models/points.py).
"""

from __future__ import annotations

import torch

from ml.data.transforms import random_affine, warp
from ml.models.points import FLIP_PERMUTATIONS


def warp_points(points: torch.Tensor, theta: torch.Tensor, flipped: torch.Tensor) -> torch.Tensor:
    """Move (N, K, 2) normalised points to where the warp puts them; mirror-index flipped rows.

    theta maps an output location p_out to the input location A p_out + t, so a point at p_in
    lands at A^-1 (p_in - t). NaN (missing) points stay NaN.
    """
    a, t = theta[:, :, :2], theta[:, :, 2]
    moved = torch.linalg.solve(a, (points - t.unsqueeze(1)).transpose(1, 2)).transpose(1, 2)
    if flipped.any():
        perm = FLIP_PERMUTATIONS.get(points.shape[1])
        if perm is None:
            raise ValueError(f"no left/right order known for {points.shape[1]} points; augment without flips")
        moved[flipped] = moved[flipped][:, list(perm)]
    return moved


def augment_with_points(
    batch: torch.Tensor, points: torch.Tensor | None, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Augment images and, if given, their points. Flips only when the point order can be mirrored."""
    flip = points is None or points.shape[1] in FLIP_PERMUTATIONS
    theta, flipped = random_affine(batch.shape[0], generator, flip=flip)
    images = warp(batch, theta)
    return images, None if points is None else warp_points(points, theta, flipped)
