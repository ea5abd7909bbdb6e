"""The bundled YuNet detector: the file is the documented one, loads, and finds every face, small ones too."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from ml.faces import create_detector
from ml.faces.detection import YuNetDetector
from ml.faces.weights import YUNET_FILE, YUNET_SHA256
from ml.settings import PipelineSettings
from tests.ml.faces.photos import FACES, iou, photo


@pytest.fixture(scope="module")
def yunet():
    return create_detector("yunet")


def test_bundled_file_has_the_documented_hash():
    assert hashlib.sha256(YUNET_FILE.read_bytes()).hexdigest() == YUNET_SHA256
    assert YUNET_SHA256 in (YUNET_FILE.parent / "face_detection_yunet.md").read_text()


def test_it_is_the_default_detector():
    assert isinstance(create_detector(), YuNetDetector)
    assert isinstance(PipelineSettings.from_env({}).create_detector(), YuNetDetector)


@pytest.mark.parametrize("name", sorted(FACES))
def test_finds_every_face_of_the_test_photos_and_nothing_else(yunet, name):
    found = [d.box for d in yunet.detect(photo(name))]

    assert len(found) == len(FACES[name]), found
    for face in FACES[name]:
        assert max(iou(box, face) for box in found) > 0.3, (face, found)


def test_five_points_sit_on_the_face_in_order(yunet):
    (face,) = yunet.detect(photo("astronaut.jpg"))
    left_eye, right_eye, nose, mouth_left, mouth_right = face.points
    x, y, w, h = face.box

    assert all(x <= px <= x + w and y <= py <= y + h for px, py in face.points)
    assert left_eye[0] < nose[0] < right_eye[0] and mouth_left[0] < mouth_right[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])


def test_small_faces_are_searched_at_a_scale_where_they_are_found(yunet):
    # A 640x480 photo is searched 1.5x larger, so a 20 px face is searched as a 30 px one.
    assert yunet.search_scale(480, 640) == pytest.approx(1.5)
    assert yunet.min_face_px(480, 640) == 20


def test_a_huge_photo_stays_within_the_pixel_budget_and_says_what_it_can_find(yunet):
    height, width = 6000, 8000  # 48 MP
    scale = yunet.search_scale(height, width)

    assert height * width * scale**2 <= yunet.max_pixels * 1.001
    assert yunet.min_face_px(height, width) == pytest.approx(30 / scale, abs=1)


def test_the_minimum_face_size_is_a_setting():
    settings = PipelineSettings.from_env({"FER_MIN_FACE_PX": "40"})
    assert settings.min_face_px == 40 and settings.create_detector("yunet").min_face_px(480, 640) == 40
    with pytest.raises(ValueError, match="FER_MIN_FACE_PX must be a whole number"):
        PipelineSettings.from_env({"FER_MIN_FACE_PX": "tiny"})


def test_a_file_that_is_not_yunet_is_named(tmp_path):
    bad = tmp_path / "yunet.onnx"
    bad.write_bytes(b"not a network")
    with pytest.raises(ValueError, match="not a YuNet ONNX model"):
        create_detector("yunet", model_path=bad)


def test_blank_image_has_no_face(yunet):
    assert yunet.detect(np.full((300, 300, 3), 128, np.uint8)) == []
