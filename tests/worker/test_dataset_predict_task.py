"""`datasets.predict` end to end: the API queues it, a real Celery worker classifies every item."""

import time

import pytest

from tests.archives import FER2013_SMALL, zip_folder
from tests.fakes import fake_sends
from webapp.datasets.importing import run_import
from webapp.datasets.models import ImportJob, ItemPrediction

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait(client, job_id: int, worker, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/prediction-jobs/{job_id}/").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"prediction not finished after {timeout} s:\n{worker.log.read_text()[-3000:]}")


def test_dataset_predictions_run_on_the_worker(worker, api_client, admin_user, tmp_path, monkeypatch):
    from webapp.datasets.tasks import import_dataset

    fake_sends(monkeypatch, [import_dataset])
    api_client.force_authenticate(admin_user)
    with open(zip_folder(FER2013_SMALL, tmp_path / "fer.zip"), "rb") as handle:
        response = api_client.post("/api/imports/", {"name": "fer", "format": "class_folders", "file": handle})
    run_import(response.json()["id"])  # the import itself is another test's subject
    dataset_id = ImportJob.objects.get().dataset_id

    response = api_client.post(f"/api/datasets/{dataset_id}/predict/")
    assert response.status_code == 202
    job = _wait(api_client, response.json()["id"], worker)
    assert (job["status"], job["processed"], job["total"], job["progress"]) == ("done", 21, 21, 1.0)
    assert ItemPrediction.objects.filter(item__dataset_id=dataset_id).count() == 21
    assert "Task datasets.predict[" in worker.log.read_text()
    items = api_client.get(f"/api/datasets/{dataset_id}/items/", {"split": "val"}).json()["results"]
    assert all(i["predicted"] for i in items)
