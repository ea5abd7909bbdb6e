"""Augmentation presets: points follow the pixels (shear included), every preset runs, draws are seeded."""

import math
from dataclasses import replace

import pytest
import torch

from ml.data import photometric
from ml.data.presets import PRESETS, AugmentPreset, get_preset
from ml.data.transforms import random_affine, warp
from ml.models.points import to_normalized, to_pixels
from ml.training import TrainConfig
from ml.training.geometry import augment_with_points, warp_points

SIZE = 64


def _dot_batch(n: int, x: int, y: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n black images with one bright pixel at (x, y), and 15 keypoints all on that pixel (normalised)."""
    images = torch.zeros(n, 1, SIZE, SIZE)
    images[:, 0, y, x] = 1.0
    points = to_normalized(torch.tensor([float(x), float(y)]).expand(n, 15, 2).clone(), SIZE)
    return images, points


def _brightest_pixel(image: torch.Tensor) -> tuple[int, int]:
    y, x = divmod(int(image[0].argmax()), SIZE)
    return x, y


def _geometry_of(name: str) -> AugmentPreset:
    """A preset's geometric ranges with its photometric changes off (they may saturate the dot)."""
    return replace(get_preset(name), brightness=0.0, contrast=0.0, noise_std=0.0, blur_sigma=0.0)


@pytest.mark.parametrize("preset", [AugmentPreset(max_shear=25.0), _geometry_of("strong")], ids=["shear", "strong"])
def test_a_landmark_on_a_bright_pixel_stays_on_it(preset):
    images, points = _dot_batch(16, x=22, y=42)
    warped, moved = augment_with_points(images, points, torch.Generator().manual_seed(5), preset)
    moved_px = to_pixels(moved, SIZE)
    displacement = 0.0
    for k in range(len(images)):
        x, y = _brightest_pixel(warped[k])
        assert abs(x - moved_px[k, 0, 0]) <= 1.0 and abs(y - moved_px[k, 0, 1]) <= 1.0, k
        displacement = max(displacement, abs(x - 22) + abs(y - 42))
    assert displacement > 3  # the warp really moved the dot, so the check above is not vacuous


def test_shear_is_in_theta_and_points_solve_through_it():
    """A pure shear of 45 degrees maps the input point (x + y, y) to the output point (x, y)."""
    theta, flipped = random_affine(64, torch.Generator().manual_seed(0), flip=False, max_rotation=0.0,
                                   max_shift=0.0, scale=(1.0, 1.0), max_shear=45.0)  # fmt: skip
    shear = theta[:, 0, 1]
    assert shear.abs().max() > 0.5 and shear.abs().max() <= 1.0 + 1e-6  # tan(45 deg) = 1
    torch.testing.assert_close(theta[:, 0, 0], torch.ones(64))
    torch.testing.assert_close(theta[:, 1], torch.tensor([0.0, 1.0, 0.0]).expand(64, 3))
    point = torch.tensor([[[0.3, 0.2]]]).expand(64, 1, 2)
    moved = warp_points(point, theta, flipped)
    torch.testing.assert_close(moved[:, 0, 0] + shear * moved[:, 0, 1], point[:, 0, 0])


def test_standard_preset_warps_exactly_as_augment_true_did_before_presets():
    """The pre-preset code: flip, rotation 10, shift 0.1, zoom 0.9-1.1, drawn in this order."""
    batch = torch.rand(6, 1, 32, 32, generator=torch.Generator().manual_seed(1))
    g = torch.Generator().manual_seed(9)
    n = 6
    angle = (torch.rand(n, generator=g) * 20 - 10) * math.pi / 180
    zoom = torch.rand(n, generator=g) * 0.2 + 0.9
    sign = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    tx, ty = (torch.rand(n, generator=g) * 0.2 - 0.1) * 2, (torch.rand(n, generator=g) * 0.2 - 0.1) * 2
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos * sign, -sin, tx], 1), torch.stack([sin * sign, cos, ty], 1)], 1)
    expected = warp(batch, theta)
    got, _ = augment_with_points(batch, None, torch.Generator().manual_seed(9), PRESETS["standard"])
    assert torch.equal(got, expected)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_runs_on_images_with_68_landmarks(name):
    images = torch.rand(8, 1, 48, 48, generator=torch.Generator().manual_seed(2))
    landmarks = torch.rand(8, 68, 2, generator=torch.Generator().manual_seed(3)) * 1.6 - 0.8
    out, points = augment_with_points(images, landmarks, torch.Generator().manual_seed(4), get_preset(name))
    assert out.shape == images.shape and points.shape == landmarks.shape
    assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
    if name == "none":
        assert torch.equal(out, images) and torch.equal(points, landmarks)
    else:
        assert not torch.allclose(out, images, atol=1e-3) and not torch.allclose(points, landmarks)


@pytest.mark.parametrize("name", ["light", "strong"])
def test_presets_are_deterministic_under_a_seed(name):
    images = torch.rand(8, 3, 32, 32, generator=torch.Generator().manual_seed(0))

    def run(seed):
        return augment_with_points(images, None, torch.Generator().manual_seed(seed), get_preset(name))[0]

    assert torch.equal(run(11), run(11)) and not torch.equal(run(11), run(12))


def test_gaussian_blur_keeps_flat_images_and_smooths_noise():
    flat = torch.full((4, 1, 16, 16), 0.4)
    torch.testing.assert_close(photometric.gaussian_blur(flat, torch.Generator(), 1.5, 1.0), flat)
    noise = torch.rand(4, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    blurred = photometric.gaussian_blur(noise, torch.Generator().manual_seed(1), 1.5, 1.0)
    before, after = noise.std(dim=(1, 2, 3)), blurred.std(dim=(1, 2, 3))
    assert (after <= before + 1e-6).all() and (after < 0.6 * before).sum() >= 2  # sigma is U(0, 1.5) per image
    untouched = photometric.gaussian_blur(noise, torch.Generator().manual_seed(1), 1.5, 0.0)
    torch.testing.assert_close(untouched, noise)  # probability 0: delta kernels
    kernels = photometric.gaussian_kernels(torch.tensor([0.0, 1.0]), 3)
    assert kernels[0].tolist() == [0, 0, 0, 1, 0, 0, 0] and kernels[1].sum().item() == pytest.approx(1.0)


def test_brightness_contrast_and_noise_stay_in_range_and_change_values():
    images = torch.rand(8, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    for out in (photometric.brightness_contrast(images, g, 0.3, 0.3), photometric.gaussian_noise(images, g, 0.1)):
        assert out.min() >= 0 and out.max() <= 1 and not torch.allclose(out, images)


def test_config_maps_the_old_augment_flag_onto_presets():
    assert TrainConfig(data="x").augmentation_preset() == "standard"
    assert TrainConfig(data="x", augment=False).augmentation_preset() == "none"
    assert TrainConfig(data="x", augment_preset="strong").augmentation_preset() == "strong"
    old = TrainConfig.from_dict({"data": "x", "augment": False})  # a config saved before presets
    old.validate()
    assert old.augmentation_preset() == "none"
    with pytest.raises(ValueError, match="contradicts"):
        TrainConfig(data="x", augment=False, augment_preset="light").validate()
    with pytest.raises(ValueError, match="augment_preset must be one of"):
        TrainConfig(data="x", augment_preset="wild").validate()


def test_presets_describe_their_changes_in_words():
    assert PRESETS["none"].describe() == "no augmentation"
    assert PRESETS["standard"].describe() == "flip, rotation ±10°, shift ±10%, zoom 0.9-1.1"
    assert "shear ±10°" in PRESETS["strong"].describe() and "noise σ ≤ 0.04" in PRESETS["strong"].describe()
