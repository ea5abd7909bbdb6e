"""Landmark models (CNN-1DNN/3DNN) train and are measured on each item's landmarks, not on a constant shape."""

from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from ml.data import load_faceset
from tests.checkpoints import write_tiny_checkpoint
from webapp.datasets.models import Item, Label
from webapp.training.materialize import AFFECTNET_CSV, CLASS_FOLDERS, NothingToTrainOn, materialize

pytestmark = pytest.mark.django_db


def face_shape(width: int, height: int, shift: float = 0.0) -> list[list[float]]:
    """68 distinct points inside a width x height image (a fake face shape), as Item.landmarks stores them."""
    t = np.linspace(0.1, 0.9, 68)
    return np.round(np.stack([t * width + shift, (1 - t) * height], axis=1), 2).tolist()


@pytest.fixture
def with_landmarks(fer2013):
    """Every item of FER-2013 tiny has found landmarks but the first; the second also has a label's landmarks."""
    items = list(Item.objects.filter(dataset=fer2013).order_by("id"))
    for item in items[1:]:
        item.landmarks, item.landmarks_backend = face_shape(item.width, item.height), "dlib"
    Item.objects.bulk_update(items[1:], ["landmarks", "landmarks_backend"])
    annotated = items[1]
    Label.objects.create(item=annotated, source="original", keypoints=face_shape(48, 48, shift=2.0))
    return fer2013, items[0], annotated


def test_a_landmark_model_gets_an_affectnet_csv_with_each_items_landmarks(with_landmarks, tmp_path):
    dataset, without, annotated = with_landmarks

    data = materialize([dataset], ["original"], tmp_path / "data", landmarks=True)

    assert data.layout == AFFECTNET_CSV and data.items == {"train": 35, "val": 7}
    assert sum(data.landmark_items.values()) == 41  # all but the item without any
    faces = {}
    for role in data.roles:
        path, split = data.source(role)
        faceset = load_faceset(path, split, size=48)
        assert faceset.keypoints.shape == (len(faceset), 68, 2)
        faces.update(zip(faceset.names, faceset.keypoints, strict=True))
    by_id = {int(Path(name).stem): points for name, points in faces.items()}
    assert np.isnan(by_id[without.pk]).all()  # the model's learned default shape for this one
    # a label's landmarks win over the found ones; the others are the found ones, in the 48-pixel crop
    np.testing.assert_allclose(by_id[annotated.pk], face_shape(48, 48, shift=2.0), atol=0.01)
    other = Item.objects.filter(dataset=dataset).exclude(pk__in=[without.pk, annotated.pk]).first()
    np.testing.assert_allclose(by_id[other.pk], other.landmarks, atol=0.01)


def test_other_models_keep_the_class_folders_and_found_landmarks_are_never_targets(with_landmarks, tmp_path):
    dataset, _, _ = with_landmarks
    assert materialize([dataset], ["original"], tmp_path / "plain").layout == CLASS_FOLDERS
    Label.objects.filter(keypoints__isnull=False).delete()
    with pytest.raises(NothingToTrainOn):  # no keypoint label: found landmarks do not become targets
        materialize([dataset], ["original"], tmp_path / "kp", task="keypoints", landmarks=True)


def test_the_leaderboard_measures_a_landmark_model_with_the_items_landmarks(with_landmarks, monkeypatch):
    from ml.evaluation import evaluate
    from webapp.modelzoo import evaluation, services

    dataset, _, _ = with_landmarks
    path = write_tiny_checkpoint(Path(settings.MEDIA_ROOT) / "models" / "trained" / "cnn1dnn.pt", arch="cnn_1dnn")
    version = services.register_checkpoint(path, source="trained", name="cnn 1dnn")[0]
    seen = []
    original = evaluate.predict_outputs

    def spy(model, images, mean, std, landmarks=None, **kwargs):
        seen.append(landmarks)
        return original(model, images, mean, std, landmarks=landmarks, **kwargs)

    monkeypatch.setattr(evaluate, "predict_outputs", spy)

    (result,) = evaluation.evaluate_version(version, [dataset])

    assert result.split == "val" and result.metrics["num_items"] == 7
    (marks,) = seen
    assert marks.shape == (7, 68, 2) and np.isfinite(marks).all()  # every val item has its landmarks
