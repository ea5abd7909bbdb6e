"""Upload, gallery, result and delete pages, and the file views behind them."""

from pathlib import Path

import pytest

from tests.webapp.uploads.conftest import PHOTOS
from webapp.uploads.models import Upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="pw-alice-123")


@pytest.fixture
def predicted(client, alice, run_inline, post_photo):
    client.force_login(alice)
    response = post_photo(client, PHOTOS / "fer_two_faces.png")
    return Upload.objects.get(pk=response.json()["id"])


def test_upload_page_offers_drop_zone_and_webcam(client, settings):
    page = client.get("/upload/").content.decode()
    assert 'id="dropzone"' in page and 'id="camera-start"' in page and "up to 20.0 MB" in page
    settings.APP = {**settings.APP, "ALLOW_ANONYMOUS_DEMO": False}
    assert client.get("/upload/").status_code == 302


def test_result_page_shows_faces_overlays_and_the_correction_form(client, predicted):
    page = client.get(f"/gallery/{predicted.pk}/").content.decode()
    assert page.count('class="face-card"') == 2
    assert page.count("<circle cx=") == 2 * 68  # landmarks of both faces, hidden until toggled
    assert page.count(f"/gallery/faces/{predicted.faces.first().pk}/saliency.png") == 1
    assert 'id="toggle-landmarks"' in page and 'id="toggle-saliency"' in page
    # The bundled default's V/A head learned on DiffusionFER's synthetic faces; the page says so.
    assert page.count('class="emotion-choice"') == 2 * 8 and "(learned on synthetic faces)" in page
    assert predicted.model_version.tag in page


def test_a_pending_upload_waits_for_a_worker_with_nothing_to_correct(client, post_photo, queue_only):
    upload_id = post_photo(client, PHOTOS / "astronaut.jpg").json()["id"]
    page = client.get(f"/gallery/{upload_id}/").content.decode()
    assert "Waiting for a worker" in page and "Log in</a> to correct" not in page  # no faces yet
    assert client.get("/gallery/").content.decode().count('data-status="pending"') == 1


def test_anonymous_visitors_see_a_login_hint_instead_of_the_form(client, post_photo, run_inline):
    upload_id = post_photo(client, PHOTOS / "astronaut.jpg").json()["id"]
    page = client.get(f"/gallery/{upload_id}/").content.decode()
    assert page.count('<section class="face-card"') == 1  # predicted: one face to correct
    assert page.count("Log in</a> to correct") == 1 and 'class="emotion-choice"' not in page


def test_gallery_filters_and_other_peoples_uploads(client, predicted, django_user_model):
    assert f"/gallery/{predicted.pk}/" in client.get("/gallery/").content.decode()
    assert f"/gallery/{predicted.pk}/" in client.get("/gallery/?emotion=happy").content.decode()
    assert f"/gallery/{predicted.pk}/" not in client.get("/gallery/?emotion=fear").content.decode()
    assert f"/gallery/{predicted.pk}/" not in client.get("/gallery/?corrected=true").content.decode()
    client.force_login(django_user_model.objects.create_user("bob", password="pw-bob-123"))
    assert f"/gallery/{predicted.pk}/" not in client.get("/gallery/").content.decode()
    assert client.get(f"/gallery/{predicted.pk}/").status_code == 404
    assert client.get(f"/gallery/{predicted.pk}/photo").status_code == 404
    assert client.get(f"/gallery/faces/{predicted.faces.first().pk}/crop.png").status_code == 404


def test_files_are_served_to_their_owner(client, predicted):
    photo = client.get(f"/gallery/{predicted.pk}/photo")
    assert photo.status_code == 200 and photo.content == (PHOTOS / "fer_two_faces.png").read_bytes()
    face = predicted.faces.first()
    crop = client.get(f"/gallery/faces/{face.pk}/crop.png")
    assert crop.status_code == 200 and crop.content.startswith(b"\x89PNG")
    assert client.get(f"/gallery/faces/{face.pk}/other.png").status_code == 404


def test_delete_asks_then_removes_files(client, predicted, django_capture_on_commit_callbacks):
    paths = [Path(predicted.image.path)] + [Path(f.crop.path) for f in predicted.faces.all()]
    confirm = client.get(f"/gallery/{predicted.pk}/delete/")
    assert confirm.status_code == 200 and "2 faces" in confirm.content.decode()
    assert Upload.objects.filter(pk=predicted.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/gallery/{predicted.pk}/delete/")
    assert response.status_code == 302 and response.url == "/gallery/"
    assert not Upload.objects.exists() and not any(p.exists() for p in paths)


def test_admin_lists_uploads_with_their_faces(client, predicted, admin_user):
    client.force_login(admin_user)
    assert "fer_two_faces.png" in client.get("/admin/uploads/upload/").content.decode()
    page = client.get(f"/admin/uploads/upload/{predicted.pk}/change/").content.decode()
    assert "surprise" in page and "happy" in page
