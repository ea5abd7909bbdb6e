"""Named augmentation presets: the ranges of every random geometric and photometric change.

`standard` is exactly the augmentation that `augment=True` always meant (flip, rotation 10 deg,
shift 10 %, zoom 0.9-1.1, nothing photometric), drawn in the same order from the generator, so
configs saved before presets existed train the same way. `TrainConfig.augmentation_preset()`
maps the old `augment: bool` onto these names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class AugmentPreset:
    """Ranges of the random changes; 0 switches a change off (and draws nothing for it)."""

    flip: bool = False  # horizontal flip with probability 1/2 (points are re-indexed left <-> right)
    max_rotation: float = 0.0  # degrees, uniform in [-max, max]
    max_shift: float = 0.0  # fraction of the image size, per axis
    scale: tuple[float, float] = (1.0, 1.0)  # zoom factor range
    max_shear: float = 0.0  # horizontal shear angle in degrees, uniform in [-max, max]
    brightness: float = 0.0  # added offset in [0, 1] pixel units, uniform in [-max, max]
    contrast: float = 0.0  # deviation from the image mean scaled by U(1 - c, 1 + c)
    noise_std: float = 0.0  # Gaussian noise with a standard deviation U(0, max) per image, [0, 1] units
    blur_sigma: float = 0.0  # Gaussian blur sigma U(0, max) pixels ...
    blur_probability: float = 0.0  # ... applied to this share of the images
    erase_probability: float = 0.0  # random erasing: this share of the images gets one noise rectangle ...
    erase_area: tuple[float, float] = (0.02, 0.2)  # ... covering this fraction of the image

    @property
    def geometric(self) -> bool:
        """Whether the preset moves pixels (and so points): any flip, rotation, shift, zoom or shear."""
        return (
            self.flip or self.max_rotation > 0 or self.max_shift > 0 or self.scale != (1.0, 1.0) or self.max_shear > 0
        )

    @property
    def photometric(self) -> bool:
        """Whether the preset changes pixel values: brightness, contrast, noise or blur."""
        return self.brightness > 0 or self.contrast > 0 or self.noise_std > 0 or self.blurs or self.erases

    @property
    def erases(self) -> bool:
        return self.erase_probability > 0

    @property
    def blurs(self) -> bool:
        return self.blur_sigma > 0 and self.blur_probability > 0

    def describe(self) -> str:
        """The changes in words, for forms and logs: "flip, rotation ±10°, shift ±10%, zoom 0.9-1.1"."""
        parts = ["flip"] if self.flip else []
        if self.max_rotation:
            parts.append(f"rotation ±{self.max_rotation:g}°")
        if self.max_shift:
            parts.append(f"shift ±{self.max_shift * 100:g}%")
        if self.scale != (1.0, 1.0):
            parts.append(f"zoom {self.scale[0]:g}-{self.scale[1]:g}")
        if self.max_shear:
            parts.append(f"shear ±{self.max_shear:g}°")
        if self.brightness or self.contrast:
            parts.append(f"brightness ±{self.brightness:g} / contrast ±{self.contrast * 100:g}%")
        if self.noise_std:
            parts.append(f"noise σ ≤ {self.noise_std:g}")
        if self.blurs:
            parts.append(f"blur σ ≤ {self.blur_sigma:g} px on {self.blur_probability * 100:g}% of images")
        if self.erases:
            area = f"{self.erase_area[0] * 100:g}-{self.erase_area[1] * 100:g}%"
            parts.append(f"random erasing of {area} on {self.erase_probability * 100:g}% of images")
        return ", ".join(parts) or "no augmentation"


PRESETS: dict[str, AugmentPreset] = {
    "none": AugmentPreset(),
    "light": AugmentPreset(
        flip=True, max_rotation=5.0, max_shift=0.05, scale=(0.95, 1.05), brightness=0.1, contrast=0.1
    ),
    "standard": AugmentPreset(flip=True, max_rotation=10.0, max_shift=0.1, scale=(0.9, 1.1)),
    "strong": AugmentPreset(
        flip=True,
        max_rotation=15.0,
        max_shift=0.12,
        scale=(0.85, 1.15),
        max_shear=10.0,
        brightness=0.25,
        contrast=0.25,
        noise_std=0.04,
        blur_sigma=1.0,
        blur_probability=0.3,
    ),  # fmt: skip
}
# `strong` plus random erasing: the long FER-2013 recipe (docs/training.md). A separate preset, so
# runs with `strong` keep drawing exactly what they drew before.
PRESETS["strong_erasing"] = replace(PRESETS["strong"], erase_probability=0.5, erase_area=(0.02, 0.2))

DEFAULT_PRESET = "standard"  # what augment=True means


def get_preset(name: str) -> AugmentPreset:
    """The preset of that name; ValueError naming the known ones otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown augmentation preset {name!r}; known: {', '.join(PRESETS)}") from None
