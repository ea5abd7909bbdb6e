"""68-point landmarks come back in iBUG-68 order from every backend; FAN needs local weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ml.faces import MissingWeightsError, create_detector, create_landmarker
from ml.faces.landmarks import JAW, LEFT_EYE, MOUTH, NOSE, RIGHT_EYE
from ml.settings import PipelineSettings
from tests.ml.faces.photos import photo


@pytest.fixture(scope="module")
def astronaut():
    image = photo("astronaut.jpg")
    (face,) = create_detector("dlib").detect(image)
    return image, face.box


@pytest.fixture(scope="module")
def dlib_points(astronaut):
    image, box = astronaut
    return create_landmarker("dlib").predict(image, box)


def test_dlib_gives_68_float_points_on_the_face(astronaut, dlib_points):
    _, (x, y, w, h) = astronaut

    assert dlib_points.shape == (68, 2) and dlib_points.dtype == np.float32
    margin = 0.3 * w
    assert np.all(dlib_points[:, 0] > x - margin) and np.all(dlib_points[:, 0] < x + w + margin)
    assert np.all(dlib_points[:, 1] > y - margin) and np.all(dlib_points[:, 1] < y + h + margin)


def test_order_is_ibug68(dlib_points):
    p = dlib_points
    eyes_y = np.r_[p[RIGHT_EYE, 1], p[LEFT_EYE, 1]]
    assert eyes_y.max() < p[NOSE, 1].max() < p[MOUTH, 1].min()  # eyes above nose tip above mouth
    assert p[RIGHT_EYE, 0].max() < p[LEFT_EYE, 0].min()  # subject's right eye is on the image's left
    assert p[48, 0] < p[54, 0]  # mouth corners left to right
    jaw = p[JAW]
    assert jaw[0, 0] < jaw[8, 0] < jaw[16, 0]  # jaw runs ear to ear through the chin
    assert np.argmax(jaw[:, 1]) in range(6, 11)  # the chin (8) is the lowest jaw point, give or take
    assert p[RIGHT_EYE, 0].mean() < p[30, 0] < p[LEFT_EYE, 0].mean()  # nose tip between the eyes


def test_unknown_backend_lists_the_choices():
    with pytest.raises(ValueError, match="unknown landmark backend 'mediapipe'.*dlib.*fan"):
        create_landmarker("mediapipe")


def test_missing_dlib_model_names_the_setting(tmp_path):
    settings = PipelineSettings.from_env({"FER_DLIB_SHAPE_PREDICTOR": str(tmp_path / "nope.dat")})

    with pytest.raises(MissingWeightsError, match="FER_DLIB_SHAPE_PREDICTOR"):
        settings.create_landmarker("dlib")


@pytest.fixture
def empty_hub(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))

    def forbidden(*args, **kwargs):
        raise AssertionError("a download was attempted")

    import face_alignment.api
    import face_alignment.utils

    monkeypatch.setattr(face_alignment.utils, "load_file_from_url", forbidden)
    monkeypatch.setattr(face_alignment.api, "load_file_from_url", forbidden)
    monkeypatch.setattr(torch.hub, "download_url_to_file", forbidden)
    return tmp_path / "torch" / "hub" / "checkpoints"


def test_missing_fan_weights_give_one_clear_line(empty_hub):
    with pytest.raises(MissingWeightsError) as error:
        create_landmarker("fan")

    message = str(error.value)
    assert "FER_FAN_WEIGHTS" in message
    assert str(empty_hub / "2DFAN4-11f355bf06.pth.tar") in message
    assert "\n" not in message


def test_fan_loads_from_the_torch_hub_cache(empty_hub, astronaut):
    from face_alignment.models import FAN

    empty_hub.mkdir(parents=True)
    torch.manual_seed(0)
    # One hourglass instead of FAN-4's four keeps the test fast; the loader counts the stacks.
    torch.save(FAN(1).state_dict(), empty_hub / "2DFAN4-11f355bf06.pth.tar")
    image, (x, y, w, h) = astronaut

    points = create_landmarker("fan").predict(image, (x, y, w, h))

    # Untrained weights put points anywhere, but always inside FAN's crop around the box.
    assert points.shape == (68, 2) and points.dtype == np.float32 and np.isfinite(points).all()
    assert np.all(np.abs(points - [x + w / 2, y + h / 2]) < 2 * max(w, h))


def test_a_file_that_is_not_fan_weights_is_refused_clearly(tmp_path):
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "other.pth")
    settings = PipelineSettings.from_env({"FER_FAN_WEIGHTS": str(tmp_path / "other.pth")})

    with pytest.raises(ValueError, match="not a face-alignment FAN 2D state dict"):
        settings.create_landmarker("fan")
