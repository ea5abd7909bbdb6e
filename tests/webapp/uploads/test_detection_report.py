"""Results say what detection did: the detector, its minimum face size, faces skipped and why, flat saliency."""

from collections import OrderedDict
from dataclasses import replace

import pytest

from ml.settings import PipelineSettings
from tests.webapp.uploads.conftest import PHOTOS
from webapp.uploads.models import Upload
from worker import pipelines

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="pw-alice-123")


def predicted(client, post_photo) -> dict:
    """POST the group photo; the job runs as the upload commits; the finished upload's JSON."""
    upload_id = post_photo(client, PHOTOS / "helen_group.jpg").json()["id"]
    upload = client.get(f"/api/uploads/{upload_id}/").json()
    assert upload["status"] == "done", upload
    return upload


@pytest.fixture
def fresh_worker(monkeypatch):
    """A worker process that has not loaded its face models yet (so settings made here apply)."""
    monkeypatch.setattr(pipelines, "_faces", {})
    monkeypatch.setattr(pipelines, "_pipelines", OrderedDict())


def test_group_photo_small_faces_are_reported_on_api_and_page(client, alice, run_inline, post_photo, fresh_worker,
                                                                 settings):  # fmt: skip
    settings.CONFIG = replace(settings.CONFIG, pipeline=PipelineSettings(min_face_px=45))
    client.force_login(alice)

    upload = predicted(client, post_photo)

    detection = upload["detection"]
    small = [s for s in detection["skipped"] if s["reason"] == "too_small"]
    assert detection["detector"] == "yunet" and detection["min_face_px"] == 45
    assert small and len(small) + len(upload["faces"]) == 10
    assert all(min(s["box"][2:]) < 45 for s in small)
    page = client.get(f"/gallery/{upload['id']}/").content.decode()
    assert 'id="detection-report"' in page and "faces of 45 px and more searched" in page
    assert f"{len(small)} too small (under 45 px)" in page
    assert page.count('class="face-skipped"') == len(small)


def test_every_group_face_is_read_at_the_default_size(client, alice, run_inline, post_photo, fresh_worker):
    client.force_login(alice)

    upload = predicted(client, post_photo)

    assert len(upload["faces"]) == 10 and upload["detection"]["skipped"] == []
    assert all(face["saliency_url"] and not face["saliency_degenerate"] for face in upload["faces"])
    page = client.get(f"/gallery/{upload['id']}/").content.decode()
    assert page.count('class="face-card"') == 10 and 'id="skipped-faces"' not in page


def test_a_flat_saliency_map_is_said_not_shown(client, alice, queue_only, post_photo):
    from ml.pipeline import Pipeline
    from webapp.modelzoo.services import active_version
    from webapp.uploads import services

    client.force_login(alice)
    upload = Upload.objects.get(pk=post_photo(client, PHOTOS / "astronaut.jpg").json()["id"])
    version = active_version()
    result = Pipeline(classifier_checkpoint=version.path, saliency="gradcam++").analyze(PHOTOS / "astronaut.jpg")
    result.faces[0].saliency_degenerate = True  # as if the map had come out flat

    services.record_prediction(upload, result, version)

    face = upload.faces.get()
    assert face.saliency_degenerate and not face.saliency
    assert client.get(f"/api/uploads/{upload.pk}/").json()["faces"][0]["saliency_degenerate"] is True
    assert "No saliency map for this face" in client.get(f"/gallery/{upload.pk}/").content.decode()
