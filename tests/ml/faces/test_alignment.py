"""Alignment puts the eyes at the canonical places of a square crop, whatever the face's tilt and size."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ml.faces import align_face, create_detector, create_landmarker, eye_centers
from ml.faces.alignment import CANONICAL_LEFT_EYE, CANONICAL_RIGHT_EYE, similarity_from_eyes
from tests.ml.faces.photos import photo


def fake_landmarks(left_eye, right_eye) -> np.ndarray:
    """68 points whose eye rings (36-41, 42-47) are centred on the given points."""
    points = np.zeros((68, 2), np.float32)
    ring = np.array([[-6, 0], [-3, -2], [3, -2], [6, 0], [3, 2], [-3, 2]], np.float32)
    points[36:42] = np.asarray(left_eye, np.float32) + ring
    points[42:48] = np.asarray(right_eye, np.float32) + ring
    return points


@pytest.mark.parametrize("angle", [-30, 0, 12, 45])
@pytest.mark.parametrize("size", [48, 64])
def test_eyes_land_on_the_canonical_places(angle, size):
    centre, half = np.array([300.0, 200.0]), 40.0
    direction = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
    landmarks = fake_landmarks(centre - half * direction, centre + half * direction)

    aligned = align_face(np.zeros((400, 600, 3), np.uint8), landmarks, size=size)
    left, right = eye_centers(aligned.to_crop(landmarks))

    np.testing.assert_allclose(left, np.array(CANONICAL_LEFT_EYE) * size, atol=1e-3)
    np.testing.assert_allclose(right, np.array(CANONICAL_RIGHT_EYE) * size, atol=1e-3)


def test_pixels_follow_the_transform():
    # Two bright dots where the eyes are, on a tilted face far larger than the crop.
    image = np.zeros((600, 800, 3), np.uint8)
    left, right = np.array([300.0, 250.0]), np.array([500.0, 330.0])
    for x, y in (left, right):
        cv2.circle(image, (int(x), int(y)), 12, (255, 255, 255), -1)

    crop = align_face(image, fake_landmarks(left, right), size=48).image

    for cx, cy in (CANONICAL_LEFT_EYE, CANONICAL_RIGHT_EYE):
        assert crop[round(cy * 48), round(cx * 48)] > 200
    assert crop[40, 24] == 0  # the mouth region is dark


def test_grayscale_and_colour_crops():
    image = photo("astronaut.jpg")
    (face,) = create_detector("opencv").detect(image)
    landmarks = create_landmarker("dlib").predict(image, face.box)

    gray = align_face(image, landmarks, size=48, grayscale=True)
    colour = align_face(image, landmarks, size=96, grayscale=False)

    assert gray.image.shape == (48, 48) and gray.image.dtype == np.uint8
    assert colour.image.shape == (96, 96, 3)
    # A real face: the eye rows are darker than the cheeks below them.
    eye_row = gray.image[round(CANONICAL_LEFT_EYE[1] * 48)]
    assert eye_row[14:18].mean() < gray.image[28, 12:16].mean()


def test_similarity_keeps_angles_and_ratios():
    matrix = similarity_from_eyes(np.array([10.0, 10.0]), np.array([30.0, 30.0]), 48)
    a, b = matrix[0, 0], matrix[1, 0]
    np.testing.assert_allclose(matrix[:, :2], [[a, -b], [b, a]])


def test_coinciding_eyes_are_refused():
    with pytest.raises(ValueError, match="eye centres coincide"):
        align_face(np.zeros((50, 50, 3), np.uint8), fake_landmarks((20, 20), (20, 20)))
