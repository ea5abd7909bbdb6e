"""The face pipeline's settings as one value, given to ml's constructors as arguments.

ml reads no environment variable itself. Whoever starts a program reads its environment once
and hands the FER_* strings to `PipelineSettings.from_env`: `webapp/config.py` for the web
server and the worker, `ml/__main__.py` for `python -m ml`. The pipeline is then built from
the value (`Pipeline.from_settings`, `settings.create_detector()`), so a test or a notebook
passes what it means instead of patching the process environment.

| variable               | default                      | meaning                                          |
|------------------------|------------------------------|--------------------------------------------------|
| FER_MODEL              | models/ferplus_default.pt    | classifier checkpoint of `python -m ml predict`   |
| FER_FACE_DETECTOR      | yunet                        | face detector backend (ml.faces.detection)        |
| FER_LANDMARKS          | dlib                         | 68-point landmark backend: dlib or fan            |
| FER_MIN_FACE_PX        | 20                           | smallest face side YuNet looks for, in pixels     |
| FER_YUNET_SEARCH       | two_pass                     | two_pass or full: where YuNet searches upscaled   |
| FER_MIN_FACE_SHARPNESS | 25                           | crops less sharp are skipped (0 keeps every face) |
| FER_MAX_IMAGE_PIXELS   | 40000000                     | larger images are refused before decoding         |
| FER_YUNET_MODEL, ...   | bundled or cached copies     | weight files: `WEIGHT_SETTINGS` below, ml.faces.weights |
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

DEFAULT_DETECTOR = "yunet"
DEFAULT_LANDMARKS = "dlib"
DEFAULT_MIN_FACE_PX = 20
# How YuNet searches for faces down to the minimum: ml.faces.search (`full` upscales the whole photo).
YUNET_SEARCHES = ("two_pass", "full")
DEFAULT_YUNET_SEARCH = "two_pass"
# Chosen on HELEN (bench/bench_faces.py prints the distribution): see docs/benchmarks.md, "Faces".
DEFAULT_MIN_SHARPNESS = 25.0
# Pillow's own bomb check starts at ~89 MP; 40 MP covers every phone photo and caps memory at ~120 MB.
DEFAULT_MAX_PIXELS = 40_000_000

# Each backend's weight files: constructor option -> the setting that names the file.
DETECTOR_FILES: dict[str, dict[str, str]] = {
    "yunet": {"model_path": "FER_YUNET_MODEL"},
    "opencv": {"cascade_path": "FER_HAAR_CASCADE"},
    "opencv_dnn": {"model_path": "FER_FACE_DETECTOR_MODEL", "config_path": "FER_FACE_DETECTOR_CONFIG"},
    "dlib_cnn": {"model_path": "FER_DLIB_CNN_DETECTOR"},
    "sfd": {"weights_path": "FER_SFD_WEIGHTS"},
    "blazeface": {"weights_path": "FER_BLAZEFACE_WEIGHTS", "anchors_path": "FER_BLAZEFACE_ANCHORS"},
}
LANDMARK_FILES: dict[str, dict[str, str]] = {
    "dlib": {"model_path": "FER_DLIB_SHAPE_PREDICTOR"},
    "fan": {"weights_path": "FER_FAN_WEIGHTS"},
}
WEIGHT_SETTINGS = tuple(
    sorted({name for files in (*DETECTOR_FILES.values(), *LANDMARK_FILES.values()) for name in files.values()})
)


def parse_number(name: str, raw: str, cast: Callable[[str], float], low: float, high: float, unit: str = ""):
    """`raw` as a number in [low, high]; ValueError with one line naming the setting and what it takes."""
    kind = "a whole number" if cast is int else "a number"
    try:
        value = cast(raw.strip())
    except ValueError:
        raise ValueError(f"{name} must be {kind}{f' of {unit}' if unit else ''}, got {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}{f' {unit}' if unit else ''}, got {raw!r}")
    return value


def parse_choice(name: str, raw: str, choices: tuple[str, ...], default: str) -> str:
    """`raw` (case and spaces ignored; empty: `default`) as one of `choices`; ValueError naming the setting."""
    value = raw.strip().lower()
    if not value:
        return default
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return value


@dataclass(frozen=True)
class PipelineSettings:
    """What the face pipeline is built with; every field has the default a fresh install uses."""

    model: str | None = None  # classifier checkpoint; None: the bundled models/ferplus_default.pt
    detector: str = DEFAULT_DETECTOR
    landmarks: str = DEFAULT_LANDMARKS
    min_face_px: int = DEFAULT_MIN_FACE_PX
    yunet_search: str = DEFAULT_YUNET_SEARCH
    min_sharpness: float = DEFAULT_MIN_SHARPNESS
    max_image_pixels: int = DEFAULT_MAX_PIXELS
    weight_files: Mapping[str, str] = field(default_factory=dict)  # a WEIGHT_SETTINGS name -> a path

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> PipelineSettings:
        """The settings the FER_* entries of `environ` give (unset or empty: the default).

        The caller passes the mapping it read (the process environment at start-up); a bad value
        raises ValueError naming the variable.
        """

        def text(name: str) -> str:
            return (environ.get(name) or "").strip()

        def number(name: str, default, cast, low, high, unit):
            return parse_number(name, text(name), cast, low, high, unit) if text(name) else default

        def choice(name: str, choices: tuple[str, ...], default: str) -> str:
            return parse_choice(name, text(name), choices, default)

        return cls(
            model=text("FER_MODEL") or None,
            detector=text("FER_FACE_DETECTOR") or DEFAULT_DETECTOR,
            landmarks=text("FER_LANDMARKS") or DEFAULT_LANDMARKS,
            min_face_px=number("FER_MIN_FACE_PX", DEFAULT_MIN_FACE_PX, int, 8, 2000, "pixels"),
            yunet_search=choice("FER_YUNET_SEARCH", YUNET_SEARCHES, DEFAULT_YUNET_SEARCH),
            min_sharpness=number("FER_MIN_FACE_SHARPNESS", DEFAULT_MIN_SHARPNESS, float, 0, 1e6, "grey levels squared"),
            max_image_pixels=number("FER_MAX_IMAGE_PIXELS", DEFAULT_MAX_PIXELS, int, 1, 10**10, "pixels"),
            weight_files={name: text(name) for name in WEIGHT_SETTINGS if text(name)},
        )

    def detector_options(self, name: str | None = None) -> dict:
        """Constructor options of detector `name` (default: this setting's): its weight files, YuNet's minimum."""
        name = name or self.detector
        options = self._files(DETECTOR_FILES.get(name, {}))
        if name == "yunet":
            options["min_face"] = self.min_face_px
            options["search"] = self.yunet_search
        return options

    def landmark_options(self, name: str | None = None) -> dict:
        """Constructor options of landmark backend `name` (default: this setting's): its weight file."""
        return self._files(LANDMARK_FILES.get(name or self.landmarks, {}))

    def create_detector(self, name: str | None = None, **options):
        """Detector `name` (default: this setting's) with its options from the settings, then `options`."""
        from ml.faces.detection import create_detector

        return create_detector(name or self.detector, **{**self.detector_options(name), **options})

    def create_landmarker(self, name: str | None = None, **options):
        """Landmark backend `name` (default: this setting's) with its weight file from the settings, then `options`."""
        from ml.faces.landmarks import create_landmarker

        return create_landmarker(name or self.landmarks, **{**self.landmark_options(name), **options})

    def _files(self, options: Mapping[str, str]) -> dict:
        return {
            option: self.weight_files[setting] for option, setting in options.items() if setting in self.weight_files
        }
