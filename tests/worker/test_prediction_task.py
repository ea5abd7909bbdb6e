"""Photo predictions through the API and a real Celery worker on the `cpu` queue."""

import time
from pathlib import Path

import pytest

from webapp.modelzoo.services import active_version
from webapp.uploads.models import Face, Upload

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PHOTOS = Path(__file__).resolve().parents[1] / "fixtures" / "photos"


def _wait_until_finished(client, upload_id: int, worker, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        upload = client.get(f"/api/uploads/{upload_id}/").json()
        if upload["status"] in ("done", "failed"):
            return upload
        time.sleep(0.2)
    raise AssertionError(f"prediction not finished after {timeout} s:\n{worker.log.read_text()[-3000:]}")


def _post(client, name: str, url: str = "/api/uploads/"):
    with open(PHOTOS / name, "rb") as handle:
        return client.post(url, {"image": handle}, format="multipart")


def test_uploads_are_predicted_by_the_worker(worker, api_client, admin_user):
    api_client.force_authenticate(admin_user)
    two_faces = _post(api_client, "fer_two_faces.png")
    blank = _post(api_client, "blank.png")
    assert two_faces.status_code == blank.status_code == 202

    done = _wait_until_finished(api_client, two_faces.json()["id"], worker)
    assert done["status"] == "done" and done["model_version"] == active_version().tag
    assert sorted(f["emotion"] for f in done["faces"]) == ["happy", "surprise"]  # best score first
    assert _wait_until_finished(api_client, blank.json()["id"], worker)["faces"] == []
    assert Face.objects.filter(upload_id=two_faces.json()["id"], saliency__gt="").count() == 2
    log = worker.log.read_text()
    assert log.count("Task uploads.predict[") >= 2 and "succeeded" in log


def test_predict_waits_for_the_worker_and_answers_the_faces(worker, api_client, admin_user):
    api_client.force_authenticate(admin_user)
    response = _post(api_client, "astronaut.jpg", url="/api/predict/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done" and len(response.json()["faces"]) == 1
    assert Upload.objects.get(pk=response.json()["id"]).attempts == 1
