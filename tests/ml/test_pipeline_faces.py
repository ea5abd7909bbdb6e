"""What the pipeline does with real photos' faces: every face found, none silently dropped, saliency never blank."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ml.pipeline import DEFAULT_MODEL_PATH, Pipeline
from ml.saliency import is_degenerate
from ml.settings import PipelineSettings
from tests.ml.faces.photos import FACES, PHOTOS, iou, photo

BUNDLED_MODELS = sorted(DEFAULT_MODEL_PATH.parent.glob("*.pt"))


@pytest.fixture(scope="module")
def faces_only():
    return Pipeline(classify=False)


def test_every_small_face_of_the_group_photo_is_found(faces_only):
    result = faces_only.analyze(PHOTOS / "helen_group.jpg")

    boxes = [f.box for f in result.faces]
    assert len(boxes) == 10 and result.detection.skipped == []
    for face in FACES["helen_group.jpg"]:
        assert max(iou(box, face) for box in boxes) > 0.3, face
    assert result.detection.detector == "yunet" and result.detection.min_face_px == 20


def test_faces_under_the_minimum_size_are_reported_not_dropped():
    settings = PipelineSettings.from_env({"FER_MIN_FACE_PX": "45"})
    result = Pipeline.from_settings(settings, classify=False).analyze(PHOTOS / "helen_group.jpg")

    small = [s for s in result.detection.skipped if s.reason == "too_small"]
    assert small and all(min(s.box[2:]) < 45 for s in small)
    assert len(result.faces) + len(small) == 10
    assert result.to_dict()["detection"]["skipped"][0]["reason"] == "too_small"


def test_a_smeared_face_is_reported_as_too_blurred(faces_only):
    blurred = cv2.GaussianBlur(photo("astronaut.jpg"), (0, 0), 7)
    sharp = faces_only.analyze(PHOTOS / "astronaut.jpg")

    result = faces_only.analyze(blurred)

    assert sharp.faces[0].sharpness > 10 * faces_only.min_sharpness
    assert result.faces == [] and [s.reason for s in result.detection.skipped] == ["too_blurred"]


def test_sharpness_check_can_be_switched_off():
    blurred = cv2.GaussianBlur(photo("astronaut.jpg"), (0, 0), 7)
    assert len(Pipeline(classify=False, min_sharpness=0).predict(blurred)) == 1


@pytest.mark.parametrize("model", BUNDLED_MODELS, ids=lambda p: p.stem)
def test_saliency_has_structure_for_every_face_of_the_test_photos(model):
    pipe = Pipeline(classifier_checkpoint=model, saliency="gradcam++")
    count = 0
    for name in sorted(FACES):
        for face in pipe.predict(PHOTOS / name):
            count += 1
            heat = face.saliency
            assert not face.saliency_degenerate and not is_degenerate(heat), (name, face.box)
            assert heat.max() == pytest.approx(1.0) and heat.std() > 0.1, (name, face.box)
            # Structure, not a constant: the hottest tenth of the crop stands well above the colder half.
            values = np.sort(heat.ravel())
            assert values[-len(values) // 10 :].mean() - values[: len(values) // 2].mean() > 0.3, (name, face.box)
    assert count == 14  # 1 + 1 + 2 + 10 faces


def test_a_flat_map_is_flagged():
    assert is_degenerate(np.zeros((48, 48), np.float32))
    assert not is_degenerate(np.linspace(0, 1, 48 * 48, dtype=np.float32).reshape(48, 48))


def test_a_bad_sharpness_setting_names_itself():
    with pytest.raises(ValueError, match="FER_MIN_FACE_SHARPNESS must be a number"):
        PipelineSettings.from_env({"FER_MIN_FACE_SHARPNESS": "crisp"})


def test_small_faces_survive_in_a_large_photo(faces_only):
    # The group photo in the middle of a 2400x1500 picture: its faces stay 30-60 px, 2% of the width.
    canvas = np.full((1500, 2400, 3), 170, np.uint8)
    canvas[500:1000, 800:1600] = photo("helen_group.jpg")

    result = faces_only.analyze(canvas)

    # 3.6 MP searched at 1.05x, not 1.5x (4 MP budget): the report says 29 px, and all ten are found.
    assert result.detection.min_face_px == 29 and len(result.faces) == 10
    for x, y, w, h in FACES["helen_group.jpg"]:
        assert max(iou(f.box, (x + 800, y + 500, w, h)) for f in result.faces) > 0.3
