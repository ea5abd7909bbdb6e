"""Augmentation that moves points with the pixels: landmarks and keypoints follow the same random
flip, rotation, shift, zoom and shear as their image, and a flip re-indexes left/right points.

The random transform is ml.data.transforms.random_affine, the one plain image augmentation uses,
with the ranges of an augmentation preset (ml/data/presets.py); photometric changes (brightness,
contrast, noise, blur) come after the warp and leave points alone. Points are in normalised
coordinates (ml/models/points.py).
"""

from __future__ import annotations

import torch

from ml.data import photometric
from ml.data.presets import DEFAULT_PRESET, PRESETS, AugmentPreset
from ml.data.transforms import random_affine, warp
from ml.models.points import FLIP_PERMUTATIONS


def warp_points(points: torch.Tensor, theta: torch.Tensor, flipped: torch.Tensor) -> torch.Tensor:
    """Move (N, K, 2) normalised points to where the warp puts them; mirror-index flipped rows.

    theta maps an output location p_out to the input location A p_out + t, so a point at p_in
    lands at A^-1 (p_in - t). NaN (missing) points stay NaN.
    """
    any_flipped = bool(flipped.any())  # asked where the draws were made (the CPU): no wait on the device
    theta, flipped = theta.to(points.device, points.dtype), flipped.to(points.device)
    a, t = theta[:, :, :2], theta[:, :, 2]
    moved = torch.linalg.solve(a, (points - t.unsqueeze(1)).transpose(1, 2)).transpose(1, 2)
    if any_flipped:
        perm = FLIP_PERMUTATIONS.get(points.shape[1])
        if perm is None:
            raise ValueError(f"no left/right order known for {points.shape[1]} points; augment without flips")
        moved = torch.where(flipped.view(-1, 1, 1), moved[:, list(perm)], moved)  # no mask indexing: no sync
    return moved


def augment_with_points(
    batch: torch.Tensor,
    points: torch.Tensor | None,
    generator: torch.Generator,
    preset: AugmentPreset = PRESETS[DEFAULT_PRESET],
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Augment (N, C, H, W) images in [0, 1] and, if given, their (N, K, 2) points with a preset's ranges.

    Flips only when the point order can be mirrored. The warp comes first (its draws are the same
    as before presets existed, so `standard` reproduces old runs), then the photometric changes.
    """
    if preset.geometric:
        flip = preset.flip and (points is None or points.shape[1] in FLIP_PERMUTATIONS)
        theta, flipped = random_affine(
            batch.shape[0], generator, flip=flip, max_rotation=preset.max_rotation, max_shift=preset.max_shift,
            scale=preset.scale, max_shear=preset.max_shear,
        )  # fmt: skip
        batch = warp(batch, theta)
        points = None if points is None else warp_points(points, theta, flipped)
    return photometric_changes(batch, generator, preset), points


def photometric_changes(batch: torch.Tensor, generator: torch.Generator, preset: AugmentPreset) -> torch.Tensor:
    """The preset's brightness/contrast, then noise, then blur, then erasing; each drawn only when switched on."""
    if preset.brightness > 0 or preset.contrast > 0:
        batch = photometric.brightness_contrast(batch, generator, preset.brightness, preset.contrast)
    if preset.noise_std > 0:
        batch = photometric.gaussian_noise(batch, generator, preset.noise_std)
    if preset.blurs:
        batch = photometric.gaussian_blur(batch, generator, preset.blur_sigma, preset.blur_probability)
    if preset.erases:
        batch = photometric.random_erasing(batch, generator, preset.erase_probability, preset.erase_area)
    return batch
