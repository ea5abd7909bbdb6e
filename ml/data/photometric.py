"""Photometric augmentation on float batches in [0, 1]: brightness/contrast, Gaussian noise, Gaussian blur.

Every function draws one random value per image from the given generator and changes pixel
values only, never positions, so landmarks and keypoints need no update. Draws are made only
for the operations that are switched on, so an off operation leaves the generator untouched.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _uniform(n: int, low: float, high: float, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=generator) * (high - low) + low


def _per_image(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """CPU-drawn per-image values as (N, 1, 1, 1) on `like`'s device and dtype, to broadcast over a batch."""
    return values.view(-1, 1, 1, 1).to(like.device, like.dtype)


def brightness_contrast(
    batch: torch.Tensor, generator: torch.Generator, brightness: float, contrast: float
) -> torch.Tensor:
    """Scale each image's deviation from its own mean by U(1 - contrast, 1 + contrast), add U(-brightness,
    brightness), and clip to [0, 1]. (N, C, H, W) in, same shape out."""
    n = batch.shape[0]
    if contrast > 0:
        mean = batch.mean(dim=(1, 2, 3), keepdim=True)
        batch = (batch - mean) * _per_image(_uniform(n, 1 - contrast, 1 + contrast, generator), batch) + mean
    if brightness > 0:
        batch = batch + _per_image(_uniform(n, -brightness, brightness, generator), batch)
    return batch.clamp(0.0, 1.0)


def gaussian_noise(batch: torch.Tensor, generator: torch.Generator, max_std: float) -> torch.Tensor:
    """Add zero-mean Gaussian noise whose standard deviation is U(0, max_std) per image; clip to [0, 1]."""
    std = _per_image(_uniform(batch.shape[0], 0.0, max_std, generator), batch)
    noise = torch.randn(batch.shape, generator=generator, dtype=batch.dtype).to(batch.device)
    return (batch + noise * std).clamp(0.0, 1.0)


def gaussian_kernels(sigmas: torch.Tensor, radius: int) -> torch.Tensor:
    """(N, 2 * radius + 1) normalised 1-D Gaussian kernels; sigma 0 gives the identity (a centred delta)."""
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float32)
    safe = sigmas.clamp_min(1e-6).unsqueeze(1)
    kernels = torch.exp(-0.5 * (offsets / safe) ** 2)
    return kernels / kernels.sum(dim=1, keepdim=True)


def gaussian_blur(
    batch: torch.Tensor, generator: torch.Generator, max_sigma: float, probability: float
) -> torch.Tensor:
    """Blur a random share (`probability`) of the images with a Gaussian of sigma U(0, max_sigma) pixels.

    Separable convolution, one kernel per image (grouped over N x C), reflect padding so the edges
    are not darkened; the images left unblurred get a delta kernel and come out unchanged.
    """
    n, c, h, w = batch.shape
    chosen = torch.rand(n, generator=generator) < probability
    sigmas = _uniform(n, 0.0, max_sigma, generator) * chosen
    radius = min(max(1, math.ceil(3 * max_sigma)), (min(h, w) - 1) // 2)
    kernels = gaussian_kernels(sigmas, radius).to(batch.device, batch.dtype).repeat_interleave(c, dim=0)  # (N*C, K)
    flat = batch.reshape(1, n * c, h, w)
    flat = F.conv2d(F.pad(flat, (radius, radius, 0, 0), mode="reflect"), kernels.view(n * c, 1, 1, -1), groups=n * c)
    flat = F.conv2d(F.pad(flat, (0, 0, radius, radius), mode="reflect"), kernels.view(n * c, 1, -1, 1), groups=n * c)
    return flat.view(n, c, h, w)


def random_erasing(
    batch: torch.Tensor, generator: torch.Generator, probability: float, area: tuple[float, float]
) -> torch.Tensor:
    """Replace one random rectangle of a random share (`probability`) of the images with uniform noise.

    Random erasing (Zhong et al., AAAI 2020), as strong FER-2013 recipes use it: the rectangle
    covers U(area) of the image with an aspect ratio log-uniform in [0.3, 3.3], clipped to the
    image. The whole batch is done with one mask built from coordinate grids, no per-image loop.
    """
    n, _, h, w = batch.shape
    chosen = torch.rand(n, generator=generator) < probability
    target_area = _uniform(n, area[0], area[1], generator) * h * w
    aspect = torch.exp(_uniform(n, math.log(0.3), math.log(1 / 0.3), generator))
    eh = (target_area * aspect).sqrt().round().clamp(1, h)
    ew = (target_area / aspect).sqrt().round().clamp(1, w)
    top = (torch.rand(n, generator=generator) * (h - eh + 1)).floor()
    left = (torch.rand(n, generator=generator) * (w - ew + 1)).floor()
    rows = torch.arange(h, dtype=torch.float32).view(1, h, 1)
    cols = torch.arange(w, dtype=torch.float32).view(1, 1, w)
    inside = (rows >= top.view(-1, 1, 1)) & (rows < (top + eh).view(-1, 1, 1))
    inside = inside & (cols >= left.view(-1, 1, 1)) & (cols < (left + ew).view(-1, 1, 1))
    mask = (inside & chosen.view(-1, 1, 1)).unsqueeze(1).to(batch.device)  # (N, 1, H, W), broadcast over channels
    noise = torch.rand(batch.shape, generator=generator, dtype=batch.dtype).to(batch.device)
    return torch.where(mask, noise, batch)
