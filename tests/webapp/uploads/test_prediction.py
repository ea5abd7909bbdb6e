"""The uploads.predict task run in this process: idempotent, failures recorded, promotions followed."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests.checkpoints import write_tiny_checkpoint
from tests.webapp.uploads.conftest import PHOTOS
from webapp.modelzoo import services as modelzoo
from webapp.modelzoo.models import ModelVersion
from webapp.uploads import services
from webapp.uploads.models import Face, Upload
from webapp.uploads.tasks import predict_upload
from worker import pipelines

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(admin_user, queue_only, post_photo, admin_client):
    response = post_photo(admin_client, PHOTOS / "fer_two_faces.png")
    return Upload.objects.get(pk=response.json()["id"])


def files_of(face: Face) -> list[Path]:
    return [Path(face.crop.path), Path(face.saliency.path)]


def test_a_duplicate_message_for_a_finished_upload_does_nothing(upload):
    assert predict_upload(upload.pk)["status"] == "done"
    faces = set(Face.objects.filter(upload=upload).values_list("pk", flat=True))
    assert predict_upload(upload.pk)["status"].startswith("skipped")
    upload.refresh_from_db()
    assert upload.attempts == 1 and set(Face.objects.filter(upload=upload).values_list("pk", flat=True)) == faces


def test_a_run_after_a_dead_worker_replaces_the_faces_and_keeps_corrections(
    upload, admin_user, django_capture_on_commit_callbacks
):
    predict_upload(upload.pk)
    first = list(Face.objects.filter(upload=upload))
    services.correct_face(first[0], user=admin_user, emotion="sad")
    # As if a second run had started and its worker died: running, heartbeat long stopped.
    Upload.objects.filter(pk=upload.pk).update(status="running", heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        result = predict_upload(upload.pk)
    assert result["status"] == "done" and result["faces"] == 2
    second = list(Face.objects.filter(upload=upload))
    assert len(second) == 2 and {f.pk for f in second}.isdisjoint({f.pk for f in first})
    assert [f.box for f in second] == [f.box for f in first]
    assert second[0].item_id is not None and second[0].item_id == Face.objects.get(pk=second[0].pk).item_id
    assert not any(p.exists() for f in first for p in files_of(f))  # the first run's files are gone
    assert all(p.exists() for f in second for p in files_of(f))
    upload.refresh_from_db()
    assert upload.attempts == 2 and upload.status == "done" and upload.timings_ms["total"] > 0
    assert upload.heartbeat_at is not None


def test_a_photo_without_faces_is_done_with_none(admin_client, queue_only, post_photo):
    upload_id = post_photo(admin_client, PHOTOS / "blank.png").json()["id"]
    assert predict_upload(upload_id)["faces"] == 0
    assert Upload.objects.get(pk=upload_id).status == "done"


def test_a_photo_damaged_on_disk_fails_with_a_message(upload):
    Path(upload.image.path).write_bytes(b"\xff\xd8 garbage")
    assert predict_upload(upload.pk)["status"] == "failed"
    upload.refresh_from_db()
    assert upload.status == "failed" and upload.message.startswith("the photo could not be read")
    assert not upload.faces.exists()


def test_a_deleted_upload_is_skipped():
    assert predict_upload(123456) == {"upload": 123456, "status": "gone"}


def test_a_promotion_is_used_from_the_next_job_on(upload, admin_user, admin_client, post_photo):
    predict_upload(upload.pk)
    bundled = modelzoo.active_version()
    path = write_tiny_checkpoint(Path(settings.MEDIA_ROOT) / "models" / "run-9" / "best.pt", seed=9)
    trained, _ = modelzoo.register_checkpoint(path, source=ModelVersion.Source.TRAINED)
    modelzoo.promote(trained, admin_user)
    upload = Upload.objects.get(pk=post_photo(admin_client, PHOTOS / "fer_two_faces.png").json()["id"])
    predict_upload(upload.pk)
    upload.refresh_from_db()
    assert upload.model_version == trained
    assert set(upload.faces.values_list("model_version", flat=True)) == {trained.pk}
    assert {bundled.tag, trained.tag} <= set(pipelines.cached_tags())
    # Both pipelines share one detector and one landmark predictor.
    face_settings = settings.CONFIG.pipeline
    assert (
        pipelines.pipeline_for(bundled, face_settings).detector
        is pipelines.pipeline_for(trained, face_settings).detector
    )


def test_a_checkpoint_changed_after_registration_fails_clearly(upload, admin_user):
    path = write_tiny_checkpoint(Path(settings.MEDIA_ROOT) / "models" / "run-7" / "best.pt", seed=7)
    trained, _ = modelzoo.register_checkpoint(path, source=ModelVersion.Source.TRAINED)
    modelzoo.promote(trained, admin_user)
    write_tiny_checkpoint(path, seed=8)  # other bytes under the registered name
    assert predict_upload(upload.pk)["status"] == "failed"
    upload.refresh_from_db()
    assert "the file changed after it was registered" in upload.message


def test_saliency_overlay_is_see_through_where_the_map_is_zero():
    import io

    import numpy as np
    from PIL import Image

    heatmap = np.zeros((4, 4))
    heatmap[0, 0] = 1.0
    image = np.asarray(Image.open(io.BytesIO(services.saliency_overlay_png(heatmap))))
    assert image.shape == (4, 4, 4) and image[1, 1, 3] == 0 and image[0, 0, 3] == 200
