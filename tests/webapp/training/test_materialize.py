"""Datasets and label sources become the class-folder tree ml trains on."""

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
