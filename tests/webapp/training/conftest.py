"""Datasets imported from the committed FER fixtures, and training tasks recorded instead of sent."""

from pathlib import Path

import pytest

from tests.factories import dataset_from_fixture
from tests.fakes import fake_sends

FER_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fer"
FER2013 = FER_FIXTURES / "fer2013"  # train/ (5 per class) and val/ (1 per class), 7 classes
FERPLUS = FER_FIXTURES / "ferplus"  # FER2013Train/ and FER2013Valid/ with label.csv votes
DATASET_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "datasets"
# Constructed: 8 rows over FER faces; 6 with an emotion (5 of them with V/A), one "uncertain" with V/A, one error.
AFFECTNET = DATASET_FIXTURES / "affectnet_small"
KEYPOINTS = DATASET_FIXTURES / "facial_keypoints_small.csv"  # 4 faces, Kaggle's 15 points (two rows only 4)


@pytest.fixture
def import_dataset(admin_user):
    """A fixture folder's dataset with the rows an admin's import leaves (built directly: the import has its
    own tests, and tests/webapp/datasets/test_fixture_factory.py checks the rows are the same)."""

    def run(folder=FER2013, name="fer2013-tiny", format="class_folders"):
        return dataset_from_fixture(folder, name, format, created_by=admin_user)

    return run


@pytest.fixture
def fer2013(import_dataset):
    return import_dataset()


@pytest.fixture
def ferplus(import_dataset):
    return import_dataset(FERPLUS, "ferplus-tiny", "ferplus")


@pytest.fixture
def affectnet(import_dataset):
    """The constructed AffectNet rows, all in `train` (its CSV is training.csv)."""
    return import_dataset(AFFECTNET, "affectnet-tiny", "affectnet")


@pytest.fixture
def facial_keypoints(import_dataset):
    """The constructed facial-keypoints CSV: 4 items with no emotion, only keypoints."""
    return import_dataset(KEYPOINTS, "keypoints-tiny", "facial_keypoints")


def hold_out(dataset, emotions=("sad", "anger"), keypoint_items=1) -> None:
    """Give the constructed fixtures (a train split only) a val split: AffectNet's sad and angry faces
    (both with an emotion and V/A), or the first keypoint item."""
    from webapp.datasets.models import Item

    items = Item.objects.filter(dataset=dataset)
    if dataset.format == "facial_keypoints":
        first = list(items.order_by("id").values_list("pk", flat=True)[:keypoint_items])
        items.filter(pk__in=first).update(split="val")
    else:
        items.filter(labels__emotion__in=emotions).update(split="val")


@pytest.fixture
def sent_tasks(monkeypatch):
    """Record training and evaluation tasks sent to the broker instead of sending them."""
    from webapp.modelzoo.tasks import evaluate_model_version
    from webapp.training.tasks import train_run

    return fake_sends(
        monkeypatch, [train_run, evaluate_model_version], lambda task, args, queue: (task.name, args, queue)
    )
