"""A dataset import end to end through the API and a real Celery worker."""

import time

import pytest

from tests.archives import FERPLUS_SMALL, zip_folder
from webapp.datasets.models import Dataset, Item, Label, LandmarkJob

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_until_finished(client, url: str, worker, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(url).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"{url} not finished after {timeout} s:\n{worker.log.read_text()[-3000:]}")


def test_ferplus_import_runs_on_the_worker(worker, api_client, admin_user, tmp_path):
    api_client.force_authenticate(admin_user)
    with open(zip_folder(FERPLUS_SMALL, tmp_path / "ferplus.zip"), "rb") as handle:
        response = api_client.post("/api/imports/", {"name": "fp", "format": "ferplus", "file": handle})
    assert response.status_code == 202
    job = _wait_until_finished(api_client, f"/api/imports/{response.json()['id']}/", worker)
    assert (job["status"], job["imported"], job["error_count"], job["progress"]) == ("done", 19, 0, 1.0)
    dataset = Dataset.objects.get(name="fp")
    assert Label.objects.filter(item__dataset=dataset, source="original").count() == 19
    log = worker.log.read_text()
    assert "Task datasets.import[" in log
    # The worker logs in the site's one format, each line of the job under its id (worker/logs.py).
    job_lines = [line for line in log.splitlines() if f"[datasets.import:{job['id']}]" in line]
    assert any(" INFO webapp.datasets.importing " in line and "done: 19 imported" in line for line in job_lines), log
    # The import queued the landmarks of its items, which the worker found next (once, stored on the items).
    landmarks = _wait_until_finished(api_client, f"/api/landmark-jobs/{LandmarkJob.objects.get().pk}/", worker)
    assert (landmarks["status"], landmarks["processed"], landmarks["total"]) == ("done", 19, 19), landmarks
    assert not Item.objects.filter(dataset=dataset, landmarks__isnull=True).exists()
