"""Datasets imported from the committed FER fixtures, and training tasks recorded instead of sent."""

from pathlib import Path

import pytest

from tests.archives import zip_folder
from webapp.datasets.importing import run_import

FER_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fer"
FER2013 = FER_FIXTURES / "fer2013"  # train/ (5 per class) and val/ (1 per class), 7 classes
FERPLUS = FER_FIXTURES / "ferplus"  # FER2013Train/ and FER2013Valid/ with label.csv votes


@pytest.fixture
def import_dataset(post_import, tmp_path):
    """Import a fixture folder as an admin would (the import runs here, not on a worker)."""

    def run(folder=FER2013, name="fer2013-tiny", format="class_folders"):
        response = post_import(zip_folder(folder, tmp_path / f"{name}.zip"), name=name, format=format)
        return run_import(response.json()["id"]).dataset

    return run


@pytest.fixture
def fer2013(import_dataset):
    return import_dataset()


@pytest.fixture
def ferplus(import_dataset):
    return import_dataset(FERPLUS, "ferplus-tiny", "ferplus")


@pytest.fixture
def sent_tasks(monkeypatch):
    """Record training and evaluation tasks sent to the broker instead of sending them."""
    from worker.training_tasks import evaluate_model_version, train_run

    sent = []

    class FakeResult:
        id = "task-1"

    for task in (train_run, evaluate_model_version):
        monkeypatch.setattr(task, "apply_async", lambda args, queue, name=task.name: sent.append((name, args, queue))
                            or FakeResult())  # fmt: skip
    return sent
