"""Face detectors find faces where a person sees them, nothing on a blank image, and fail clearly without weights."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from ml.faces import Detection, MissingWeightsError, create_detector
from ml.settings import PipelineSettings
from tests.ml.faces.photos import CLASSIC_PHOTOS, FACES, iou, matches, photo

OFFLINE_BACKENDS = ["opencv", "dlib", "dlib_cnn"]  # weights ship with opencv-python / face_recognition_models
# (YuNet, bundled in models/, has its own tests in test_yunet.py, the group photo included.)


@pytest.fixture(scope="module", params=OFFLINE_BACKENDS)
def detector(request):
    return create_detector(request.param)


@pytest.mark.parametrize("name", CLASSIC_PHOTOS)
def test_finds_the_faces_a_person_sees(detector, name):
    if detector.name == "dlib_cnn" and name == "fer_happy_on_gray.png":
        pytest.skip("2 s a photo on CPU; the two-face photo covers the same face")
    found = detector.detect(photo(name))

    assert matches([d.box for d in found], FACES[name]), f"{detector.name} on {name}: {found}"


@pytest.mark.parametrize("name", ["yunet", "opencv", "dlib"])
def test_detections_are_int_boxes_inside_the_image_best_first(name):
    detector = create_detector(name)
    image = photo("fer_two_faces.png")
    found = detector.detect(image)

    assert all(isinstance(d, Detection) and all(isinstance(v, int) for v in d.box) for d in found)
    for x, y, w, h in (d.box for d in found):
        assert x >= 0 and y >= 0 and x + w <= image.shape[1] and y + h <= image.shape[0]
    assert [d.score for d in found] == sorted((d.score for d in found), reverse=True)


def test_large_photo_is_searched_small_and_boxes_come_back_in_full_size_pixels():
    big = cv2.resize(photo("astronaut.jpg"), (1536, 1536), interpolation=cv2.INTER_CUBIC)
    (face,) = create_detector("opencv", max_side=512).detect(big)

    expected = tuple(v * 3 for v in FACES["astronaut.jpg"][0])
    assert iou(face.box, expected) > 0.5


def test_rejects_arrays_that_are_not_rgb_uint8():
    with pytest.raises(ValueError, match="RGB uint8"):
        create_detector("opencv").detect(np.zeros((10, 10), np.float32))


def test_unknown_backend_lists_the_choices():
    with pytest.raises(ValueError, match="unknown face detector 'mtcnn'.*opencv.*yunet.*dlib"):
        create_detector("mtcnn")


@pytest.fixture
def no_downloads(monkeypatch, tmp_path):
    """An empty torch hub cache, and any download attempt fails the test."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))

    def forbidden(*args, **kwargs):
        raise AssertionError("a download was attempted")

    import face_alignment.utils

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", forbidden)
    monkeypatch.setattr(torch.hub, "download_url_to_file", forbidden)
    monkeypatch.setattr(face_alignment.utils, "load_file_from_url", forbidden)


@pytest.mark.parametrize(
    ("backend", "setting", "file_name"),
    [
        ("sfd", "FER_SFD_WEIGHTS", "s3fd-619a316812.pth"),
        ("blazeface", "FER_BLAZEFACE_WEIGHTS", "blazeface.pth"),
        ("opencv_dnn", "FER_FACE_DETECTOR_MODEL", None),
    ],
)
def test_missing_weights_name_the_setting_and_file(no_downloads, backend, setting, file_name):
    with pytest.raises(MissingWeightsError) as error:
        create_detector(backend)

    message = str(error.value)
    assert setting in message and "nothing is downloaded" in message
    if file_name:
        assert file_name in message
    assert "\n" not in message


def test_a_configured_path_that_does_not_exist_is_named(no_downloads, tmp_path):
    missing = tmp_path / "yunet.onnx"
    settings = PipelineSettings.from_env({"FER_FACE_DETECTOR_MODEL": str(missing)})

    with pytest.raises(MissingWeightsError, match=f"not found at {missing}.*FER_FACE_DETECTOR_MODEL"):
        settings.create_detector("opencv_dnn")


def test_sfd_runs_from_a_local_weights_file(no_downloads, tmp_path):
    from face_alignment.detection.sfd.net_s3fd import s3fd

    torch.save(s3fd().state_dict(), tmp_path / "s3fd.pth")  # untrained: this checks loading, not accuracy
    settings = PipelineSettings.from_env({"FER_SFD_WEIGHTS": str(tmp_path / "s3fd.pth")})
    detector = settings.create_detector("sfd", max_side=128)

    found = detector.detect(photo("astronaut.jpg"))

    assert detector.name == "sfd" and isinstance(found, list)


def test_blazeface_runs_from_local_weight_and_anchor_files(no_downloads, tmp_path):
    from face_alignment.detection.blazeface.net_blazeface import BlazeFace

    state = BlazeFace().state_dict()
    for key in state:  # untrained, and sure nothing is a face (random scores send its NMS into a loop)
        if key.startswith("classifier_"):
            state[key] = torch.zeros_like(state[key]) - (10.0 if key.endswith("bias") else 0.0)
    torch.save(state, tmp_path / "blazeface.pth")
    np.save(tmp_path / "anchors.npy", np.random.default_rng(0).random((896, 4), dtype=np.float32))
    detector = create_detector(
        "blazeface", weights_path=tmp_path / "blazeface.pth", anchors_path=tmp_path / "anchors.npy"
    )

    found = detector.detect(photo("astronaut.jpg"))

    assert detector.name == "blazeface" and found == []


@pytest.mark.parametrize(("name", "height", "width", "expected"), [
    ("opencv", 480, 640, 72),  # Haar keeps its relative minimum: 15% of the shorter side
    ("opencv", 3000, 4000, 450),  # searched at 640x480: 72 px there, 450 in the photo
    ("dlib", 480, 640, 40),  # its 80 px window on a copy upsampled once
    ("yunet", 480, 640, 20),  # FER_MIN_FACE_PX's default
])  # fmt: skip
def test_each_detector_says_the_smallest_face_it_looks_for(name, height, width, expected):
    assert create_detector(name).min_face_px(height, width) == expected
