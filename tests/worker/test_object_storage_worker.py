"""A worker that shares only the database, the broker and an S3 bucket with the web process: no folder.

The worker process gets the FER_S3_* settings of a bucket on the tests' real S3 server (moto's, on
127.0.0.1) and a MEDIA_ROOT of its own; the photo it predicts was stored by this (web) process in
the bucket, and the crops and saliency maps it makes must land there too, never on either disk.
"""

import time
from pathlib import Path

import pytest

from tests import object_storage as s3
from tests.processes import celery_worker
from webapp.uploads.models import Face, Upload

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PHOTOS = Path(__file__).resolve().parents[1] / "fixtures" / "photos"


@pytest.fixture
def s3_worker(shared_worker, worker_env, s3_storage, tmp_path):
    """A worker process on the bucket, as on another machine; the session's local-storage worker is
    stopped first, or it could take the task from the same broker folder (it restarts on demand)."""
    shared_worker.stop()
    log = tmp_path / "s3-worker.log"
    env = {
        **worker_env,
        **s3.environment(s3_storage),
        "MEDIA_ROOT": str(tmp_path / "worker-media"),
        "FER_CACHE_DIR": str(tmp_path / "worker-cache"),
    }
    with celery_worker(env, log, queues="cpu") as process:
        process.log = log
        yield process


def files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_a_worker_with_only_settings_predicts_a_photo_from_the_bucket(
    s3_worker, s3_storage, api_client, admin_user, settings, tmp_path
):
    api_client.force_authenticate(admin_user)
    before = files_under(Path(settings.MEDIA_ROOT))  # other worker tests of the session may have left files
    with open(PHOTOS / "fer_two_faces.png", "rb") as handle:
        response = api_client.post("/api/uploads/", {"image": handle}, format="multipart")
    assert response.status_code == 202, response.content
    upload_id = response.json()["id"]

    deadline = time.monotonic() + 90
    while Upload.objects.get(pk=upload_id).status not in ("done", "failed"):
        assert time.monotonic() < deadline, s3_worker.log.read_text()[-3000:]
        time.sleep(0.2)
    upload = Upload.objects.get(pk=upload_id)
    assert upload.status == "done", upload.message

    faces = list(Face.objects.filter(upload=upload))
    stored = s3.keys(s3_storage)
    assert len(faces) == 2 and upload.image.name in stored
    assert all(face.crop.name in stored and face.saliency.name in stored for face in faces)
    assert files_under(tmp_path / "worker-media") == [] and files_under(Path(settings.MEDIA_ROOT)) == before
