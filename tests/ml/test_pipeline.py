"""The full pipeline on real photos: faces, landmarks, crops, 8-class probabilities, valence/arousal, saliency, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from ml.__main__ import main
from ml.checkpoint import Checkpoint, save_checkpoint
from ml.faces import eye_centers, load_image
from ml.models import create_model
from ml.pipeline import DEFAULT_MODEL_PATH, FaceResult, InvalidImageError, MissingWeightsError, Pipeline
from ml.saliency import cam_target, grad_cam, input_gradients
from ml.settings import PipelineSettings
from ml.taxonomy import AFFECTNET8, EMOTIONS, FER2013_7, derive_va
from tests.ml.faces.photos import FACES, PHOTOS, iou, matches

FACE_KEYS = {
    "box", "score", "landmarks", "emotion", "probs", "valence", "arousal", "va_source", "model_version", "saliency",
    "saliency_degenerate", "sharpness",
}  # fmt: skip


def make_checkpoint(path, label_set=AFFECTNET8, in_chans=1, input_size=48, arch="vgg_fer", edit_state=None, **extra):
    """An untrained model saved like a trained one: these tests check plumbing, not accuracy.
    `edit_state(state_dict) -> state_dict` sets chosen weights (a head with a known answer)."""
    torch.manual_seed(0)
    model = create_model(arch, num_classes=label_set.num_classes, in_chans=in_chans, input_size=input_size)
    state = model.state_dict() if edit_state is None else edit_state(model.state_dict())
    ckpt = Checkpoint(
        arch=arch, label_set=label_set, input_size=input_size, in_chans=in_chans,
        mean=[0.5] * in_chans, std=[0.25] * in_chans, state_dict=state, **extra,
    )  # fmt: skip
    return save_checkpoint(path, ckpt)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp("models") / "tiny.pt")


@pytest.fixture(scope="module")
def pipeline(checkpoint):
    return Pipeline(detector="opencv", landmarks="dlib", classifier_checkpoint=checkpoint)


def test_one_face_with_everything_filled_in(pipeline):
    (face,) = pipeline.predict(PHOTOS / "astronaut.jpg")

    assert iou(face.box, FACES["astronaut.jpg"][0]) > 0.4
    assert face.landmarks.shape == (68, 2) and face.aligned_crop.shape == (48, 48)
    assert list(face.probs) == list(EMOTIONS) and sum(face.probs.values()) == pytest.approx(1.0, abs=1e-5)
    assert face.emotion == max(face.probs, key=face.probs.get)
    assert face.va_source == "derived"
    assert (face.valence, face.arousal) == pytest.approx(derive_va(list(face.probs.values())))
    assert face.model_version.startswith("tiny:") and len(face.model_version) == len("tiny:") + 12


def test_every_face_of_a_group_photo(pipeline):
    faces = pipeline.predict(PHOTOS / "fer_two_faces.png")

    assert matches([f.box for f in faces], FACES["fer_two_faces.png"])


def test_blank_photo_has_no_faces_and_still_reports_timings(pipeline):
    result = pipeline.analyze(PHOTOS / "blank.png")

    assert result.faces == [] and result.image_size == (640, 480)
    assert set(result.timings_ms) == {"load", "detect", "landmarks", "align", "classify", "va", "saliency", "total"}
    assert result.timings_ms["total"] >= result.timings_ms["detect"] > 0


def test_timings_cover_each_stage(pipeline):
    timings = pipeline.analyze(PHOTOS / "astronaut.jpg").timings_ms

    for stage in ("load", "detect", "landmarks", "align", "classify", "va"):
        assert timings[stage] > 0, stage
    assert timings["total"] >= sum(v for k, v in timings.items() if k != "total") * 0.99


def test_accepts_bytes_and_arrays(pipeline):
    data = (PHOTOS / "astronaut.jpg").read_bytes()
    from_bytes = pipeline.predict(data)
    from_array = pipeline.predict(load_image(data))

    assert [f.box for f in from_bytes] == [f.box for f in from_array]


def test_json_shape_is_stable(pipeline):
    (face,) = pipeline.predict(PHOTOS / "astronaut.jpg")
    data = json.loads(json.dumps(face.to_dict()))

    assert set(data) == FACE_KEYS
    assert len(data["landmarks"]) == 68 and data["saliency"] is None
    assert "aligned_crop" in face.to_dict(include_crop=True)


def test_seven_class_model_reports_eight_probabilities(tmp_path):
    pipe = Pipeline(classifier_checkpoint=make_checkpoint(tmp_path / "fer7.pt", label_set=FER2013_7))

    (face,) = pipe.predict(PHOTOS / "astronaut.jpg")

    assert list(face.probs) == list(EMOTIONS) and face.probs["contempt"] == 0.0
    assert sum(face.probs.values()) == pytest.approx(1.0, abs=1e-5)


def test_colour_model_gets_colour_crops_of_its_input_size(tmp_path):
    pipe = Pipeline(classifier_checkpoint=make_checkpoint(tmp_path / "rgb.pt", in_chans=3, input_size=64))

    (face,) = pipe.predict(PHOTOS / "astronaut.jpg")

    assert face.aligned_crop.shape == (64, 64, 3)


def test_va_head_trained_on_va_labels_is_used(tmp_path):
    """A V/A head that answers (0.3, -0.5) whatever the face: the pipeline must report exactly that as learned,
    and the same weights without the `va_labels` flag must be ignored in favour of the derived answer."""
    va = (0.3, -0.5)

    def constant_va_head(state: dict) -> dict:
        state["va_head.weight"] = torch.zeros_like(state["va_head.weight"])
        state["va_head.bias"] = torch.atanh(torch.tensor(va))
        return state

    learned = make_checkpoint(tmp_path / "va.pt", config={"va_labels": "annotated"}, edit_state=constant_va_head)
    derived = make_checkpoint(tmp_path / "derived.pt", edit_state=constant_va_head)

    (face,) = Pipeline(classifier_checkpoint=learned).predict(PHOTOS / "astronaut.jpg")
    (other,) = Pipeline(classifier_checkpoint=derived).predict(PHOTOS / "astronaut.jpg")

    assert face.va_source == "learned" and (face.valence, face.arousal) == pytest.approx(va, abs=1e-5)
    assert other.va_source == "derived"
    assert (other.valence, other.arousal) == pytest.approx(derive_va(list(other.probs.values())))
    assert (other.valence, other.arousal) != pytest.approx(va, abs=1e-3)


def test_faces_only_without_a_model():
    (face,) = Pipeline(classify=False).predict(PHOTOS / "astronaut.jpg")

    assert face.probs is None and face.emotion is None and face.valence is None
    assert face.aligned_crop.shape == (48, 48)


@pytest.mark.parametrize("method", ["gradcam", "gradcam++", "gradients"])
def test_saliency_heatmap_at_crop_size(checkpoint, method):
    pipe = Pipeline(classifier_checkpoint=checkpoint, saliency=method)

    (face,) = pipe.predict(PHOTOS / "astronaut.jpg")

    assert face.saliency.shape == (48, 48) and face.saliency.dtype == np.float32
    assert face.saliency.min() >= 0 and face.saliency.max() == pytest.approx(1.0)
    assert len(face.to_dict()["saliency"]) == 48


class _LeftHalf(nn.Module):
    """Class 0 looks only at the left half of the image, class 1 only at the right."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 1, bias=False)
        nn.init.ones_(self.conv.weight)

    def forward(self, x):
        f = self.conv(x)
        half = f.shape[-1] // 2
        return torch.stack([f[..., :half].mean(dim=(1, 2, 3)), f[..., half:].mean(dim=(1, 2, 3))], dim=1)


def test_saliency_points_where_the_class_looks():
    model, x = _LeftHalf(), torch.zeros(1, 1, 16, 16)
    x[..., 4:8, 2:6] = 1.0  # a bright patch on the left

    cam = grad_cam(model, x, 0)
    grads = input_gradients(model, x, 0)

    assert cam_target(model, x).module is model.conv
    assert np.unravel_index(cam.argmax(), cam.shape)[1] < 8
    assert grads[:, :8].min() == 1.0 and grads[:, 8:].max() == 0.0


def test_bad_input_and_missing_model_give_clear_errors(pipeline, tmp_path, monkeypatch):
    (tmp_path / "notes.jpg").write_text("not a photo")
    with pytest.raises(InvalidImageError, match="not an image"):
        pipeline.predict(tmp_path / "notes.jpg")

    settings = PipelineSettings.from_env({"FER_MODEL": str(tmp_path / "missing.pt")})
    with pytest.raises(MissingWeightsError, match=r"missing\.pt.*FER_MODEL"):
        Pipeline.from_settings(settings)

    (tmp_path / "junk.pt").write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match="not a readable classifier checkpoint"):
        Pipeline(classifier_checkpoint=tmp_path / "junk.pt")


@pytest.mark.skipif(not DEFAULT_MODEL_PATH.is_file(), reason="bundled model not built yet")
def test_bundled_model_sees_the_smile():
    (face,) = Pipeline().predict(PHOTOS / "fer_happy_on_gray.png")

    assert face.emotion == "happy" and face.valence > 0.3


def test_cli_json(checkpoint, capsys):
    code = main(["predict", str(PHOTOS / "fer_two_faces.png"), "--json", "--model", str(checkpoint)])

    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["schema_version"] == 2
    assert set(data) == {
        "schema_version", "image", "detector", "min_sharpness", "landmarks", "crop", "model", "detection", "faces",
        "timings_ms",
    }  # fmt: skip
    assert data["detection"] == {"detector": "yunet", "min_face_px": 20, "min_sharpness": 25.0, "skipped": []}
    assert data["image"] == {"path": str(PHOTOS / "fer_two_faces.png"), "width": 640, "height": 480}
    assert data["model"]["label_set"]["classes"] == list(EMOTIONS) and data["model"]["va_source"] == "derived"
    assert len(data["faces"]) == 2 and all(set(face) == FACE_KEYS for face in data["faces"])


def test_cli_table_and_saved_crops(checkpoint, capsys, tmp_path):
    photo = str(PHOTOS / "astronaut.jpg")
    code = main(["predict", photo, "--model", str(checkpoint), "--saliency", "--save-crops", str(tmp_path)])

    out = capsys.readouterr().out
    assert code == 0
    assert "1 face " in out and "valence/arousal: derived" in out and "time:" in out
    assert "faces of 20 px and more searched" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["astronaut_face1.png", "astronaut_face1_saliency.png"]


def test_cli_bad_input_exits_2_with_one_line(checkpoint, capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")

    code = main(["predict", str(tmp_path / "notes.txt"), "--model", str(checkpoint)])

    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and "not an image" in err and err.count("\n") == 1


def test_face_result_is_a_plain_dataclass():
    face = FaceResult(box=(1, 2, 3, 4), score=0.5, landmarks=np.zeros((68, 2), np.float32),
                      aligned_crop=np.zeros((48, 48), np.uint8))  # fmt: skip

    assert face.to_dict()["probs"] is None and face.to_dict()["box"] == [1, 2, 3, 4]


def test_landmark_model_reads_each_faces_landmarks_in_crop_coordinates(tmp_path):
    """CNN-1DNN gets the 68 points found on the photo, moved into its crop, not its learned default shape."""
    from ml.models.points import to_normalized

    checkpoint = make_checkpoint(tmp_path / "cnn_1dnn.pt", arch="cnn_1dnn")
    pipe = Pipeline(classifier_checkpoint=checkpoint, saliency="gradcam")
    seen = []
    for backbone in (pipe.classifier.inference_model.backbone, pipe.classifier.model.backbone):  # predict, saliency
        fill = backbone.fill_landmarks
        backbone.fill_landmarks = lambda landmarks, n, fill=fill: (seen.append(landmarks), fill(landmarks, n))[1]

    (face,) = pipe.predict(PHOTOS / "astronaut.jpg")

    assert len(seen) >= 2 and face.saliency.shape == (48, 48)
    for marks in seen:  # the prediction and every saliency pass read the face's own landmarks
        np.testing.assert_allclose(marks[0].detach().numpy(), to_normalized(face.crop_landmarks, 48), atol=1e-5)
    left, right = eye_centers(face.crop_landmarks)  # the crop was aligned on these very eyes
    np.testing.assert_allclose([left[0] / 48, right[0] / 48], [0.3165, 0.6835], atol=1e-3)
    batch = pipe.classifier.preprocess([face.aligned_crop])
    with_default, _ = pipe.classifier(batch)
    assert not np.allclose(with_default, pipe.classifier(batch, [face.crop_landmarks])[0])


def test_other_models_ignore_landmarks(pipeline):
    (face,) = pipeline.predict(PHOTOS / "astronaut.jpg")
    batch = pipeline.classifier.preprocess([face.aligned_crop])
    assert not pipeline.classifier.uses_landmarks
    np.testing.assert_array_equal(pipeline.classifier(batch)[0], pipeline.classifier(batch, [face.crop_landmarks])[0])
