"""The box dlib's 68-point predictor expects, from another detector's box or five points.

dlib's shape predictor starts from a mean shape placed in the box it is given; it was trained
on dlib's HOG detector's boxes (square, from the brows to just below the lips). YuNet's box is
taller and lower (forehead to chin), Haar's wider, so fed as they are the predictor starts from
a misplaced shape and ends with a larger error. These mappings turn a detection into a
dlib-style box; the constants were fitted by least squares on the HELEN training photos where
both detectors find the face (`bench/fit_landmark_boxes.py`, figures in docs/benchmarks.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Box = tuple[int, int, int, int]


def _square(cx: float, cy: float, side: float) -> Box:
    side = max(2.0, side)
    return round(cx - side / 2.0), round(cy - side / 2.0), round(side), round(side)


@dataclass(frozen=True)
class BoxMapping:
    """dlib centre = box centre + (dx * w, dy * h); dlib side = side_w * w + side_h * h."""

    dx: float
    dy: float
    side_w: float
    side_h: float

    def apply(self, detection) -> Box:
        x, y, w, h = detection.box
        return _square(x + w / 2.0 + self.dx * w, y + h / 2.0 + self.dy * h, self.side_w * w + self.side_h * h)


def point_features(points) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Eyes' midpoint E, the vector D from E to the mouth corners' midpoint, |eyes|, |D|."""
    p = np.asarray(points, np.float64).reshape(5, 2)
    eyes_mid, mouth_mid = (p[0] + p[1]) / 2.0, (p[3] + p[4]) / 2.0
    direction = mouth_mid - eyes_mid
    return eyes_mid, direction, float(np.linalg.norm(p[1] - p[0])), float(np.linalg.norm(direction))


@dataclass(frozen=True)
class PointsMapping:
    """From five points: centre = E + (kx * Dx, ky * Dy); side = eye_w * |eyes| + mouth_w * |D|.

    Following the points rather than the box keeps the box on the face when the detector's box
    is loose (turned heads, hair) and scales it by the face's own proportions.
    """

    kx: float
    ky: float
    eye_w: float
    mouth_w: float

    def apply(self, detection) -> Box:
        eyes_mid, direction, eye_dist, mouth_dist = point_features(detection.points)
        side = self.eye_w * eye_dist + self.mouth_w * mouth_dist
        return _square(eyes_mid[0] + self.kx * direction[0], eyes_mid[1] + self.ky * direction[1], side)


# Fitted on the 870 HELEN training photos (bench/fit_landmark_boxes.py): YuNet on the 793 faces dlib
# also finds, Haar on 707. Keyed by detector name. dlib's mean landmark error (outer-eye-corner
# normalised) with YuNet boxes: 5.24% raw, 3.77% box-mapped, 2.77% five-point-mapped; with dlib's own
# boxes 2.85% (on the faces dlib finds: 2.73% five-point-mapped against 2.85%).
YUNET_POINTS = PointsMapping(kx=0.4337, ky=0.496, eye_w=0.8639, mouth_w=1.4694)
YUNET_BOX = BoxMapping(dx=0.0031, dy=0.0591, side_w=0.773, side_h=0.2493)
HAAR_BOX = BoxMapping(dx=0.0, dy=0.0719, side_w=0.4493, side_h=0.4493)
DLIB_STYLE: dict[str, PointsMapping | BoxMapping] = {"yunet": YUNET_POINTS, "opencv": HAAR_BOX, "haar": HAAR_BOX}
FALLBACK_BOX = {"yunet": YUNET_BOX}


def dlib_style_box(detection, detector_name: str) -> Box:
    """The box to give dlib's 68-point predictor for this detection (dlib's own boxes pass unchanged)."""
    mapping = DLIB_STYLE.get(detector_name)
    if isinstance(mapping, PointsMapping) and detection.points is None:
        mapping = FALLBACK_BOX.get(detector_name)
    return detection.box if mapping is None else mapping.apply(detection)
