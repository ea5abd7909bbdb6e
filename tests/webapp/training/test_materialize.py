"""Datasets and label sources become the class-folder tree ml trains on."""

import numpy as np
import pytest

from webapp.datasets.models import Item, Label
from webapp.training.materialize import NothingToTrainOn, materialize, split_role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("split", "role"),
    [("train", "train"), ("Training", "train"), ("FER2013Train", "train"), ("val", "val"), ("FER2013Valid", "val"),
     ("PublicTest", "val"), ("test", "test"), ("PrivateTest", "test"), ("FER2013Test", "test")],
)  # fmt: skip
def test_item_splits_map_to_roles(split, role):
    assert split_role(split) == role


def test_class_folders_per_role_with_the_dataset_splits(fer2013, tmp_path):
    data = materialize([fer2013], ["original"], tmp_path / "data")
    assert data.roles == ["train", "val"]
    assert sum(data.counts["train"].values()) == 35 and sum(data.counts["val"].values()) == 7
    assert len(list((tmp_path / "data" / "train" / "happy").iterdir())) == 5
    assert data.held_out_role == "val"


def test_the_newest_label_of_the_chosen_sources_wins(fer2013, admin_user, tmp_path):
    item = Item.objects.filter(dataset=fer2013, split="val", labels__emotion="happy").get()
    Label.objects.create(item=item, source="correction", emotion="sad", created_by=admin_user)

    corrected = materialize([fer2013], ["original", "correction"], tmp_path / "mixed")
    original = materialize([fer2013], ["original"], tmp_path / "original")

    assert "happy" not in corrected.counts["val"] and corrected.counts["val"]["sad"] == 2
    assert original.counts["val"]["happy"] == 1 and original.counts["val"]["sad"] == 1
    assert (tmp_path / "mixed" / "val" / "sad" / f"{item.pk}.jpg").is_file()


def test_a_dataset_without_validation_split_holds_out_a_fixed_tenth(import_dataset, tmp_path):
    from tests.webapp.training.conftest import FER2013

    dataset = import_dataset(FER2013 / "train", "train-only")
    first = materialize([dataset], ["original"], tmp_path / "a")
    second = materialize([dataset], ["original"], tmp_path / "b")
    held = sorted(p.name for p in (tmp_path / "a" / "val").rglob("*.jpg"))
    assert held and held == sorted(p.name for p in (tmp_path / "b" / "val").rglob("*.jpg"))
    assert (
        sum(first.counts["train"].values()) + len(held)
        == 35
        == sum(map(sum, [second.counts["train"].values(), second.counts["val"].values()]))
    )


def test_a_complete_tree_is_read_back_not_rewritten(fer2013, tmp_path):
    first = materialize([fer2013], ["original"], tmp_path / "data")
    Label.objects.filter(item__dataset=fer2013).update(emotion="neutral")  # later changes must not leak in
    again = materialize([fer2013], ["original"], tmp_path / "data")
    assert again == first


def test_no_label_from_the_chosen_sources_is_refused(fer2013, tmp_path):
    with pytest.raises(NothingToTrainOn, match="no item of fer2013-tiny has an emotion label from crowd"):
        materialize([fer2013], ["crowd"], tmp_path / "data")


# ---- V/A and keypoints: the CSV layouts ml's AffectNet and facial-keypoints readers read ---------


def read_back(data, role="train", size=48):
    """The role as ml's training will load it."""
    from ml.data import load_faceset

    path, split = data.source(role)
    return load_faceset(path, split, size=size, channels=1)


def test_task_va_writes_annotated_va_items_as_an_affectnet_csv(affectnet, tmp_path):
    data = materialize([affectnet], ["original"], tmp_path / "va", task="va")

    assert data.layout == "affectnet_csv" and data.items == {"train": 5} == data.va_items
    # The "uncertain" row has V/A but no emotion, which ml's AffectNet reader would drop: left out and counted.
    assert data.skipped == {"no emotion label (ml's AffectNet reader needs one)": 1}
    faces = read_back(data)
    expected = sorted(
        Label.objects.filter(item__dataset=affectnet, valence__isnull=False, emotion__isnull=False).values_list(
            "valence", "arousal"
        )
    )  # fmt: skip
    assert np.allclose(sorted(map(tuple, faces.valence_arousal.tolist())), expected)  # float32 in ml
    assert faces.keypoints.shape == (5, 68, 2) and not np.isnan(faces.keypoints).any()  # landmarks carried over


def test_a_newer_crowd_va_label_joins_the_va_items_only_when_crowd_is_chosen(affectnet, admin_user, tmp_path):
    no_va = Item.objects.get(dataset=affectnet, labels__emotion="happy", labels__valence__isnull=True)
    Label.objects.create(item=no_va, source="crowd", valence=0.5, arousal=-0.25, created_by=admin_user)

    with_crowd = materialize([affectnet], ["original", "crowd"], tmp_path / "crowd", task="va")
    without = materialize([affectnet], ["original"], tmp_path / "original", task="va")

    assert sum(with_crowd.items.values()) == 6 and sum(without.items.values()) == 5
    role = "val" if (tmp_path / "crowd" / "val" / f"{no_va.pk}.png").exists() else "train"
    faces = read_back(with_crowd, role)
    assert [0.5, -0.25] in faces.valence_arousal.tolist()


def test_task_both_keeps_missing_va_missing_and_never_derives_it(affectnet, fer2013, tmp_path):
    data = materialize([affectnet], ["original"], tmp_path / "both", task="both")
    faces = [read_back(data, role) for role in data.roles]
    va = np.concatenate([f.valence_arousal for f in faces])
    assert data.layout == "affectnet_csv" and sum(data.items.values()) == 6 and sum(data.va_items.values()) == 5
    assert np.isnan(va).all(axis=1).sum() == 1  # the happy face without V/A: NaN, which ml masks out
    # Without any annotated V/A, "both" keeps the class folders: ml derives V/A and records that it did.
    assert materialize([fer2013], ["original"], tmp_path / "fer", task="both").layout == "class_folders"


def test_task_keypoints_writes_kaggle_points_as_a_facial_keypoints_csv(facial_keypoints, tmp_path):
    data = materialize([facial_keypoints], ["original"], tmp_path / "kp", task="keypoints")

    assert (data.layout, data.items, data.num_keypoints, data.counts) == ("facial_keypoints_csv", {"train": 4}, 15, {})
    faces = read_back(data, size=96)
    stored = [label.keypoints for label in Label.objects.filter(item__dataset=facial_keypoints).order_by("item_id")]
    for points, label_points in zip(faces.keypoints, stored, strict=True):
        for (x, y), point in zip(points.tolist(), label_points, strict=True):
            assert (np.isnan(x) and point is None) or (abs(x - point[0]) < 1e-3 and abs(y - point[1]) < 1e-3)
    assert np.isnan(faces.keypoints[:, :, 0]).sum() == 2 * 11  # two rows keep only 4 of 15 points


def test_task_keypoints_learns_one_layout_and_counts_the_others(affectnet, facial_keypoints, tmp_path):
    data = materialize([affectnet, facial_keypoints], ["original"], tmp_path / "mixed", task="keypoints")

    # AffectNet's labels are older: its 68 landmarks decide; the 15-point items are left out and said so.
    assert data.layout == "affectnet_csv" and data.num_keypoints == 68 and sum(data.items.values()) == 6
    assert data.skipped["keypoints are not 68 points (a run learns one keypoint layout)"] == 4


def test_a_va_run_on_data_without_annotated_va_is_refused(fer2013, facial_keypoints, tmp_path):
    with pytest.raises(NothingToTrainOn, match="no item of fer2013-tiny has annotated valence/arousal"):
        materialize([fer2013], ["original"], tmp_path / "va", task="va")
    with pytest.raises(NothingToTrainOn, match="no item of fer2013-tiny has keypoint labels"):
        materialize([fer2013], ["original"], tmp_path / "kp", task="keypoints")
