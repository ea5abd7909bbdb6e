"""The 68 landmarks in the coordinates of the face crop a classifier sees.

Landmark models (CNN-1DNN, CNN-3DNN: ml/models/landmark_nets.py) read the 68 points of the very
crop they classify, in crop pixels (x, y), pixel i's centre at i, then normalised to [-1, 1] by
ml/models/points.py. Points come from two places:

- a photo: the landmark backend finds them in image pixels and `align_face` warps the image to
  the crop with a 2x3 similarity matrix; the same matrix moves the points (`points_in_crop`);
- a dataset item: the item image is the face crop already, at its own size, and the classifier
  sees it resized to its input size (ml.data.source.fit_size, a plain cv2.resize), so the points
  are scaled with the same pixel-centre convention cv2 uses (`resize_points`).

Faces without landmarks become NaN rows (`landmark_batch`), which the models replace by their
learned default shape.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ml.faces.landmarks import NUM_LANDMARKS


def points_in_crop(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """(N, 2) image points -> crop pixels through the 2x3 affine `matrix` that made the crop."""
    points = np.asarray(points, dtype=np.float64)
    matrix = np.asarray(matrix, dtype=np.float64)
    return (points @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


def resize_points(points: np.ndarray, from_size: tuple[int, int], to_size: int | tuple[int, int]) -> np.ndarray:
    """Points in an image of `from_size` (width, height) -> pixels of that image resized to `to_size`
    (width, height; one int: a square).

    cv2.resize maps pixel centres: x' + 0.5 = (x + 0.5) * scale, not x' = x * scale.
    """
    width, height = from_size
    to_width, to_height = (to_size, to_size) if isinstance(to_size, int) else to_size
    scale = np.array([to_width / width, to_height / height], dtype=np.float64)
    return ((np.asarray(points, dtype=np.float64) + 0.5) * scale - 0.5).astype(np.float32)


def landmark_batch(points: Sequence[np.ndarray | None]) -> np.ndarray:
    """(N, 68, 2) float32 crop pixels for a batch of faces; a face without (complete) landmarks is all NaN."""
    batch = np.full((len(points), NUM_LANDMARKS, 2), np.nan, dtype=np.float32)
    for i, face in enumerate(points):
        if face is None:
            continue
        face = np.asarray(face, dtype=np.float32)
        if face.shape == (NUM_LANDMARKS, 2) and np.isfinite(face).all():
            batch[i] = face
    return batch


def from_json(points) -> np.ndarray | None:
    """Stored landmarks ([[x, y], ...] as JSON keeps them) -> (68, 2) float32, or None when absent or incomplete."""
    if not points:
        return None
    try:
        array = np.asarray(points, dtype=np.float32)
    except (TypeError, ValueError):
        return None
    return array if array.shape == (NUM_LANDMARKS, 2) and np.isfinite(array).all() else None


def to_json(points: np.ndarray, decimals: int = 2) -> list[list[float]]:
    """(68, 2) points -> [[x, y], ...] rounded, for a JSON field."""
    return np.round(np.asarray(points, dtype=np.float64), decimals).tolist()


# Where dlib's predictor should start on an image that is a face crop (FER-2013 / FER+ style, the
# whole image is the face box): the median box dlib's own HOG detector gives on such crops,
# centre (0.5, 0.54) and side 0.78 of the crop (fitted on 286 of the first 400 FER+ FER2013Valid
# crops, upscaled 4x, where HOG found one face; its median x was 0.47, taken as centred).
CROP_BOX_CENTER = (0.5, 0.54)
CROP_BOX_SIDE = 0.78
UPSCALE_TO = 192  # dlib's predictor gives steadier points on a 4x-upscaled 48-pixel crop than on 48 pixels


def landmarks_of_crop(image: np.ndarray, landmarker) -> np.ndarray:
    """(68, 2) float32 landmarks, in the image's own pixels, of an image that is one face crop.

    `landmarker` is an ml.faces.landmarks.LandmarkPredictor (dlib by default). Small crops are
    upscaled first (to UPSCALE_TO on the longer side) and the points mapped back.
    """
    import cv2

    height, width = image.shape[:2]
    rgb = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    factor = max(1.0, UPSCALE_TO / max(height, width))
    if factor > 1.0:
        rgb = cv2.resize(rgb, (round(width * factor), round(height * factor)), interpolation=cv2.INTER_LINEAR)
    big_h, big_w = rgb.shape[:2]
    side = CROP_BOX_SIDE * min(big_w, big_h)
    cx, cy = CROP_BOX_CENTER[0] * big_w, CROP_BOX_CENTER[1] * big_h
    box = (round(cx - side / 2), round(cy - side / 2), round(side), round(side))
    points = landmarker.predict(rgb, box)
    return resize_points(points, (big_w, big_h), (width, height))
