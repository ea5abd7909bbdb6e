"""Face alignment: a similarity transform (rotation, uniform scale, shift) taking the two eye
centres to fixed places in a square crop, so every face reaches the classifier upright and framed
the same way.

The default eye places copy FER-2013's framing, which the bundled models learned from: the median
eye centres that dlib's 68-point predictor finds on 528 FER-2013 validation crops are at
(0.317, 0.398) and (0.683, 0.391) of the crop. Eyes are level after alignment, so both sit at
y = 0.395, x = 0.5 -/+ 0.183.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ml.faces.crop_landmarks import points_in_crop
from ml.faces.landmarks import eye_centers

CANONICAL_LEFT_EYE = (0.3165, 0.395)  # image-left eye (the subject's right), fractions of crop size
CANONICAL_RIGHT_EYE = (0.6835, 0.395)


@dataclass
class AlignedFace:
    image: np.ndarray  # (size, size) grayscale or (size, size, 3) RGB, uint8
    matrix: np.ndarray  # 2x3 affine: image coordinates -> crop coordinates

    def to_crop(self, points: np.ndarray) -> np.ndarray:
        """Map (N, 2) image points (e.g. the landmarks) into crop coordinates."""
        return points_in_crop(points, self.matrix)


def similarity_from_eyes(
    left_eye: np.ndarray,
    right_eye: np.ndarray,
    size: int,
    canonical_left: tuple[float, float] = CANONICAL_LEFT_EYE,
    canonical_right: tuple[float, float] = CANONICAL_RIGHT_EYE,
) -> np.ndarray:
    """The 2x3 similarity matrix mapping the two image eye centres exactly onto the canonical ones."""
    src = np.asarray(right_eye, np.float64) - np.asarray(left_eye, np.float64)
    dst = (np.asarray(canonical_right) - np.asarray(canonical_left)) * size
    src_len = float(np.hypot(*src))
    if src_len < 1e-6:
        raise ValueError("eye centres coincide; cannot align")
    scale = float(np.hypot(*dst)) / src_len
    angle = np.arctan2(dst[1], dst[0]) - np.arctan2(src[1], src[0])
    a, b = scale * np.cos(angle), scale * np.sin(angle)
    rotation = np.array([[a, -b], [b, a]])
    shift = np.asarray(canonical_left) * size - rotation @ np.asarray(left_eye, np.float64)
    return np.hstack([rotation, shift[:, None]])


def align_face(
    image_rgb: np.ndarray,
    landmarks: np.ndarray,
    size: int = 48,
    grayscale: bool = True,
    canonical_left: tuple[float, float] = CANONICAL_LEFT_EYE,
    canonical_right: tuple[float, float] = CANONICAL_RIGHT_EYE,
) -> AlignedFace:
    """Warp the face with these 68 landmarks to a size x size crop with the eyes at the canonical places."""
    left, right = eye_centers(landmarks)
    matrix = similarity_from_eyes(left, right, size, canonical_left, canonical_right)
    source = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2GRAY) if grayscale else image_rgb
    # Shrinking a large face straight to 48 px aliases; warp to an integer multiple, then area-average down.
    factor = int(min(8, max(1, 1.0 / float(np.hypot(matrix[0, 0], matrix[1, 0])))))
    big_matrix = matrix * factor
    big_matrix[:, 2] += (factor - 1) / 2.0  # keep pixel centres where the area average puts them
    big = cv2.warpAffine(
        source, big_matrix, (size * factor, size * factor), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    crop = big if factor == 1 else cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA)
    return AlignedFace(crop, matrix.astype(np.float32))
