"""Landmarks in the coordinates of the crop the classifier sees: through alignment, a resize, and on FER crops."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ml.faces import align_face, create_landmarker, eye_centers
from ml.faces.crop_landmarks import (
    from_json,
    landmark_batch,
    landmarks_of_crop,
    points_in_crop,
    resize_points,
    to_json,
)
from tests.ml.faces.test_alignment import fake_landmarks

FER_VALID = Path(__file__).resolve().parents[2] / "fixtures" / "fer" / "ferplus" / "FER2013Valid"


def _bright_spot(image: np.ndarray) -> np.ndarray:
    """Intensity-weighted centre (x, y) of an image's bright pixels."""
    ys, xs = np.nonzero(image > 0)
    weights = image[ys, xs].astype(np.float64)
    return np.array([np.average(xs, weights=weights), np.average(ys, weights=weights)])


def test_a_dot_lands_where_its_mapped_point_says():
    # A tilted face far larger than the crop, and a mark on the nose tip (point 30).
    landmarks = fake_landmarks((300.0, 250.0), (500.0, 330.0))
    landmarks[30] = (420.0, 380.0)
    image = np.zeros((600, 800, 3), np.uint8)
    cv2.circle(image, (420, 380), 12, (255, 255, 255), -1)

    aligned = align_face(image, landmarks, size=64)
    nose = points_in_crop(landmarks, aligned.matrix)[30]

    np.testing.assert_allclose(_bright_spot(aligned.image), nose, atol=0.6)
    np.testing.assert_array_equal(aligned.to_crop(landmarks), points_in_crop(landmarks, aligned.matrix))


@pytest.mark.parametrize(("size", "to"), [((48, 48), 112), ((200, 160), 48), ((48, 48), 48)])
def test_resize_follows_cv2_pixel_centres(size, to):
    image = np.zeros((size[1], size[0]), np.uint8)
    point = np.array([[size[0] * 0.3, size[1] * 0.6]])
    cv2.circle(image, tuple(int(v) for v in point[0]), max(2, size[0] // 16), 255, -1)
    spot = _bright_spot(image)

    resized = cv2.resize(image, (to, to), interpolation=cv2.INTER_LINEAR)

    np.testing.assert_allclose(_bright_spot(resized), resize_points(spot[None], size, to)[0], atol=0.35)


def test_a_batch_marks_faces_without_complete_landmarks_as_nan():
    good = np.arange(136, dtype=np.float32).reshape(68, 2)
    partial = good.copy()
    partial[5] = np.nan

    batch = landmark_batch([good, None, partial, good[:5]])

    assert batch.shape == (4, 68, 2)
    np.testing.assert_array_equal(batch[0], good)
    assert np.isnan(batch[1:]).all()


def test_json_round_trip_and_refusals():
    points = np.random.default_rng(0).uniform(0, 48, (68, 2)).astype(np.float32)
    back = from_json(to_json(points))
    np.testing.assert_allclose(back, points, atol=0.006)
    assert from_json(None) is None
    assert from_json([]) is None
    assert from_json([[1, 2]] * 67) is None
    assert from_json([[1, None]] * 68) is None


@pytest.mark.parametrize("name", sorted(p.name for p in FER_VALID.glob("*.png"))[:4])
def test_fer_crops_get_a_plausible_face_shape(name):
    """On a 48-pixel FER face (the whole image is the face) the eyes come out near FER's usual places."""
    grey = cv2.imread(str(FER_VALID / name), cv2.IMREAD_GRAYSCALE)
    points = landmarks_of_crop(grey, create_landmarker("dlib"))

    assert points.shape == (68, 2) and points.dtype == np.float32
    assert np.isfinite(points).all()
    left, right = eye_centers(points)
    assert left[0] < 24 < right[0]  # the image-left eye left of the middle, the other right of it
    assert 8 < left[1] < 28 and 8 < right[1] < 28  # upper half, below the top edge
    assert points[57, 1] > max(left[1], right[1]) + 8  # the lower lip well below the eyes
