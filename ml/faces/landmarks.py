"""68-point facial landmarks in the iBUG-300W order, from every backend.

    points = create_landmarker("dlib").predict(image_rgb, box)   # (68, 2) float32, (x, y) pixels

Index ranges (0-based): jaw 0-16 (from the subject's right ear to the left, i.e. image left to
right for a frontal face), brows 17-26, nose 27-35, the subject's right eye 36-41 (image left),
left eye 42-47 (image right), mouth 48-67.

`dlib` uses the shape predictor shipped in face_recognition_models (offline, the default);
`fan` uses face-alignment's 2D FAN-4 from FER_FAN_WEIGHTS or the torch hub cache only.
"""

from __future__ import annotations

import pickle
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ml.faces import weights

NUM_LANDMARKS = 68
JAW = slice(0, 17)
RIGHT_BROW, LEFT_BROW = slice(17, 22), slice(22, 27)
NOSE = slice(27, 36)
RIGHT_EYE, LEFT_EYE = slice(36, 42), slice(42, 48)  # the subject's right eye is on the image's left
MOUTH = slice(48, 68)

Box = tuple[int, int, int, int]


class LandmarkPredictor(ABC):
    name: str = ""

    @abstractmethod
    def predict(self, image_rgb: np.ndarray, box: Box) -> np.ndarray:
        """(68, 2) float32 (x, y) image coordinates for the face in `box` (x, y, w, h)."""


class DlibLandmarks(LandmarkPredictor):
    """dlib's ensemble-of-regression-trees 68-point predictor (Kazemi & Sullivan 2014). ~1 ms a face."""

    name = "dlib"

    def __init__(self, model_path: str | Path | None = None):
        import dlib

        self._dlib = dlib
        self.predictor = dlib.shape_predictor(str(weights.dlib_shape_predictor_path(model_path)))

    def predict(self, image_rgb: np.ndarray, box: Box) -> np.ndarray:
        x, y, w, h = (int(v) for v in box)
        shape = self.predictor(image_rgb, self._dlib.rectangle(x, y, x + w - 1, y + h - 1))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


class FANLandmarks(LandmarkPredictor):
    """face-alignment's 2D FAN-4 heatmap network (Bulat & Tzimiropoulos 2017); accurate, ~0.5 s a face on CPU.

    `reference_scale` converts a box to FAN's crop scale: 195 suits S3FD boxes; tighter boxes
    (Haar, dlib HOG) are fine with the same value because FAN's crop has a wide margin.
    """

    name = "fan"

    def __init__(self, weights_path: str | Path | None = None, reference_scale: float = 195.0, flip: bool = False):
        import torch
        from face_alignment.models import FAN

        path = weights.fan_weights_path(weights_path)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            if isinstance(state, dict) and "state_dict" in state:
                state = state["state_dict"]
            # 2DFAN-4 stacks four hourglasses (keys m0. .. m3.); count them so smaller FANs load too.
            stacks = len({key.split(".")[0] for key in state if re.fullmatch(r"m\d+", key.split(".")[0])})
            self.net = FAN(stacks)
            self.net.load_state_dict(state)
        except (RuntimeError, ValueError, KeyError, AttributeError, pickle.UnpicklingError) as exc:
            raise ValueError(f"{path} is not a face-alignment FAN 2D state dict (FER_FAN_WEIGHTS): {exc}") from None
        self.net.eval()
        self.reference_scale, self.flip = reference_scale, flip

    def predict(self, image_rgb: np.ndarray, box: Box) -> np.ndarray:
        import torch
        from face_alignment.utils import CENTER_Y_OFFSET, crop, flip, get_preds_fromhm

        x, y, w, h = box
        center = np.array([x + w / 2.0, y + h / 2.0 - h * CENTER_Y_OFFSET])
        scale = (w + h) / self.reference_scale
        patch = crop(image_rgb, center, scale).transpose(2, 0, 1).astype(np.float32) / 255.0
        batch = torch.from_numpy(patch).unsqueeze(0)
        with torch.no_grad():
            heatmaps = self.net(batch)[-1]
            if self.flip:
                heatmaps = heatmaps + flip(self.net(flip(batch))[-1], is_label=True)
        _, points, _ = get_preds_fromhm(heatmaps.numpy(), center, scale)
        return points.reshape(NUM_LANDMARKS, 2).astype(np.float32)


LANDMARKERS: dict[str, Callable[..., LandmarkPredictor]] = {"dlib": DlibLandmarks, "fan": FANLandmarks}


def create_landmarker(name: str = "dlib", **options) -> LandmarkPredictor:
    try:
        factory = LANDMARKERS[name]
    except KeyError:
        raise ValueError(f"unknown landmark backend {name!r}; choose one of {', '.join(LANDMARKERS)}") from None
    return factory(**options)


def eye_centers(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(image-left eye, image-right eye) centres: means of points 36-41 and 42-47."""
    points = np.asarray(landmarks, dtype=np.float64)
    return points[RIGHT_EYE].mean(axis=0), points[LEFT_EYE].mean(axis=0)
