"""Each leak of issue 17, reproduced as an attacker would, now refused (401/403/404, 429 for throttles)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from tests.webapp.privacy_world import PASSWORD, build_world, png
from webapp.datasets.models import Item, Label
from webapp.labeling import services as labeling
from webapp.labeling.models import Participant
from webapp.uploads.models import Upload

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


@pytest.fixture
def world():
    return build_world()


# ---- 1. stored files ----------------------------------------------------------------------------


def test_no_stored_file_has_a_public_url(world):
    anonymous = APIClient()
    names = [
        world.import_job.source.name, world.version.checkpoint, world.evaluation.confusion_png, world.item.image.name,
        world.corrections_item.image.name, world.upload.image.name, world.face.crop.name,
    ]  # fmt: skip
    for name in names:
        assert anonymous.get(f"/media/{name}").status_code == 404, name
        assert world.client("admin").get(f"/media/{name}").status_code == 404, name


def test_files_follow_the_rule_of_their_object(world):
    photo, crop = f"/gallery/{world.upload.pk}/photo", f"/gallery/faces/{world.face.pk}/crop.png"
    assert world.client("user").get(photo).content == default_storage.open(world.upload.image.name).read()
    assert world.client("user").get(crop).status_code == 200
    for role in ("other", "annotator", "guest", "anonymous"):
        assert world.client(role).get(photo).status_code == 404, role
        assert world.client(role).get(crop).status_code == 404, role
    assert world.client("anonymous_owner").get(f"/gallery/{world.anon_upload.pk}/photo").status_code == 200
    item_image = f"/datasets/items/{world.corrections_item.pk}/image"
    assert world.client("admin").get(item_image).status_code == 200
    for role in ("user", "annotator", "guest"):
        assert world.client(role).get(item_image).status_code == 403, role


def test_in_a_deployment_the_web_server_sends_the_bytes_after_the_check(world, settings):
    from django_sendfile.utils import _get_sendfile

    settings.SENDFILE_BACKEND, settings.SENDFILE_URL = "django_sendfile.backends.nginx", "/protected"
    _get_sendfile.cache_clear()
    try:
        response = world.client("user").get(f"/gallery/{world.upload.pk}/photo")
        assert response.status_code == 200 and response.content == b""
        assert response["X-Accel-Redirect"] == f"/protected/{world.upload.image.name}"
        assert world.client("other").get(f"/gallery/{world.upload.pk}/photo").status_code == 404
    finally:
        _get_sendfile.cache_clear()


# ---- 2. a private photo through its correction -------------------------------------------------


def test_a_correction_does_not_leak_the_photo(world):
    corrections = world.corrections_item.dataset
    for role in ("other", "guest", "annotator", "user"):
        client = world.client(role)
        assert client.get(f"/api/datasets/{corrections.pk}/items/").status_code == 403, role
        assert client.get(f"/api/items/{world.corrections_item.pk}/").status_code == 403, role
        assert client.get(f"/datasets/{corrections.pk}/").status_code == 403, role
    # The owner still sees their own corrections on their own face.
    face = world.client("user").get(f"/api/faces/?upload={world.upload.pk}").json()["results"][0]
    assert [c["emotion"] for c in face["corrections"]] == ["sad"]


def test_deleting_an_upload_deletes_every_image_made_from_it(world, django_capture_on_commit_callbacks):
    item = world.corrections_item
    files = [Path(settings.MEDIA_ROOT) / n for n in (item.image.name, world.face.crop.name, world.upload.image.name)]
    copy = Path(settings.CONFIG.var_dir) / "training" / "run-999" / "data" / "train" / "sad" / f"{item.pk}.png"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(png(1))  # a training run's copy of the crop
    client = world.client("user")
    assert "corrections dataset" in client.get(f"/gallery/{world.upload.pk}/delete/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/gallery/{world.upload.pk}/delete/").status_code == 302
    assert not Upload.objects.filter(pk=world.upload.pk).exists()
    assert not Item.objects.filter(pk=item.pk).exists() and not Label.objects.filter(item_id=item.pk).exists()
    assert not any(f.exists() for f in files) and not copy.exists()
    assert Item.objects.filter(pk=world.item.pk).exists()  # other datasets' items stay


# ---- 3. invite links ---------------------------------------------------------------------------


def test_a_guest_acts_only_inside_their_session(world):
    guest = world.client("guest")
    assert guest.post(f"/api/labeling/sessions/{world.session.pk}/next/", {}, format="json").status_code == 200
    assert guest.post(f"/api/labeling/sessions/{world.other_session.pk}/next/", {}, format="json").status_code == 404
    assert guest.get(f"/labeling/{world.other_session.pk}/label/").status_code == 404
    for url in ("/api/datasets/", f"/api/items/{world.item.pk}/", "/api/models/", "/api/promotions/",
                f"/api/models/{world.version.pk}/evaluations/"):  # fmt: skip
        assert guest.get(url).status_code == 403, url
    assert not world.guest.groups.exists()
    listing = guest.get("/labeling/").content.decode()
    assert "world session" in listing and "other session" not in listing


def test_a_guest_account_stops_working_when_the_session_closes(world):
    guest = world.client("guest")
    assert guest.get(f"/labeling/{world.session.pk}/label/").status_code == 200
    labeling.close_session(world.session)
    assert guest.get(f"/labeling/{world.session.pk}/label/").status_code == 302  # logged out: to the login page
    # Logged out (the backend no longer accepts the account): an anonymous request, so 401 (token auth first).
    assert guest.post(f"/api/labeling/sessions/{world.session.pk}/next/", {}, format="json").status_code == 401


def test_joining_asks_a_name_and_a_logged_in_person_joins_as_themselves(world):
    url = f"/labeling/join/{world.session.invite_token}/"
    page = APIClient().get(url).content.decode()
    assert 'name="display_name"' in page
    client = world.client("user")
    assert "as world-user" not in page and "world-user" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 302 and response.url == f"/labeling/{world.session.pk}/label/"
    assert client.get(response.url).wsgi_request.user == world.user  # still themselves
    assert Participant.objects.get(session=world.session, user=world.user).is_guest is False
    assert client.post(f"/api/labeling/sessions/{world.session.pk}/next/", {}, format="json").status_code == 200
    assert client.post(f"/api/labeling/sessions/{world.other_session.pk}/next/", {}, format="json").status_code == 404


def test_joining_is_throttled(world, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"join": "3/hour"}}
    cache.clear()
    url = f"/labeling/join/{world.session.invite_token}/"
    codes = [APIClient().post(url, {"display_name": f"g{i}"}).status_code for i in range(5)]
    assert codes == [302, 302, 302, 429, 429]
    assert Participant.objects.filter(session=world.session, is_guest=True).count() == 1 + 3
    again = world.client("guest").get(url)  # a guest opening their own link again goes straight to labeling
    assert again.status_code == 302 and again.url == f"/labeling/{world.session.pk}/label/"
    cache.clear()


# ---- 4. annotators cannot read the answer ------------------------------------------------------


def test_annotators_get_an_image_not_the_item(world):
    client = world.client("annotator")
    handed = client.post(f"/api/labeling/sessions/{world.session.pk}/next/", {}, format="json").json()
    assert set(handed) == {"id", "image_url", "prediction", "expires_at", "progress"} and handed["prediction"] is None
    assert str(world.assignment.session_item.item_id) not in handed["image_url"]
    image = client.get(handed["image_url"])
    assert image.status_code == 200 and image.content == default_storage.open(world.item.image.name).read()
    assert world.client("outsider").get(handed["image_url"]).status_code == 404
    assert world.client("guest").get(handed["image_url"]).status_code == 404
    assert client.get(f"/api/items/{world.assignment.session_item.item_id}/").status_code == 403
    assert client.get(f"/datasets/items/{world.assignment.session_item.item_id}/").status_code == 403


def test_item_api_shows_the_current_label_to_admins(world):
    body = world.client("admin").get(f"/api/items/{world.item.pk}/").json()
    assert body["emotion"] == "happy"


# ---- 5. throttles ------------------------------------------------------------------------------


def test_login_locks_out_after_repeated_failures(world, settings):
    settings.AXES_ENABLED, settings.AXES_FAILURE_LIMIT = True, 3
    client = APIClient()
    wrong = [client.post("/accounts/login/", {"username": "world-user", "password": "wrong"}).status_code
             for _ in range(3)]  # fmt: skip
    assert wrong == [200, 200, 429]  # the third failure locks
    locked = client.post("/accounts/login/", {"username": "world-user", "password": PASSWORD})
    assert locked.status_code == 429 and "Too many failed logins" in locked.content.decode()
    assert client.post("/admin/login/", {"username": "world-admin", "password": PASSWORD}).status_code == 429
    other_address = APIClient(REMOTE_ADDR="10.9.9.9")
    # The user name is locked from every address too.
    assert other_address.post("/accounts/login/", {"username": "world-user", "password": PASSWORD}).status_code == 429


def test_anonymous_uploads_and_predictions_are_throttled(world, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon_upload": "2/hour", "anon_predict": "1/hour"}
    }  # fmt: skip
    cache.clear()
    anonymous = APIClient()
    codes = [anonymous.post("/api/uploads/", {"image": "not a file"}).status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    assert [anonymous.post("/api/predict/", {}).status_code for _ in range(2)] == [400, 429]
    assert anonymous.get("/api/uploads/").status_code == 200  # reading is not throttled
    assert world.client("user").post("/api/uploads/", {}).status_code == 400  # accounts are not
    cache.clear()


# ---- 6. headers --------------------------------------------------------------------------------


def test_pages_carry_a_csp_without_inline_code(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy


def test_templates_have_no_inline_script_or_style():
    import re

    for template in (Path(settings.BASE_DIR) / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert "style=" not in text and "<style" not in text, template


def test_check_deploy_passes_with_production_settings(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "webapp.settings", "FER_VAR_DIR": str(tmp_path), "HTTPS": "true",
           "DEBUG": "false", "SECRET_KEY": "k" * 20 + "-production-secret-key-of-fifty-plus-chars-9f3b2", }  # fmt: skip
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# ---- 7. small holes ----------------------------------------------------------------------------


def test_over_large_numbers_are_400_not_500(world):
    client = world.client("annotator")
    assert world.client("user").get(f"/api/faces/?upload={HUGE}").status_code == 400
    base = f"/api/labeling/sessions/{world.session.pk}"
    assert client.post(f"{base}/next/", {"holding": [int(HUGE)]}, format="json").status_code == 400
    assert client.post(f"{base}/release/", {"assignments": HUGE}).status_code == 400
    assert client.post(f"/api/labeling/sessions/{HUGE}/next/", {}, format="json").status_code == 404
    assert world.client("admin").get(f"/api/uploads/{HUGE}/").status_code == 404


def test_a_closed_session_refuses_every_answer_changing_call(world):
    client = world.client("annotator")
    base, assignment = f"/api/labeling/sessions/{world.session.pk}", world.assignment.pk
    labeling.submit(labeling.next_assignment(world.session, world.annotator, [assignment]), world.annotator,
                    emotion="sad", duration_ms=5)  # fmt: skip
    labeling.close_session(world.session)
    answer = {"emotion": "happy", "duration_ms": 10}
    assert client.post(f"/api/labeling/assignments/{assignment}/submit/", answer, format="json").status_code == 403
    assert client.post(f"/api/labeling/assignments/{assignment}/skip/").status_code == 403
    assert client.post(f"{base}/undo/").status_code == 403
    assert client.post(f"{base}/release/", {"assignments": str(assignment)}).status_code == 403
    assert client.post(f"{base}/next/", {}, format="json").status_code == 403


def test_anonymous_state_changes_are_csrf_checked(world):
    attacker = APIClient(enforce_csrf_checks=True, HTTP_ORIGIN="http://evil.example")
    attacker.cookies["sessionid"] = world.anon_key
    assert attacker.delete(f"/api/uploads/{world.anon_upload.pk}/").status_code == 403
    assert Upload.objects.filter(pk=world.anon_upload.pk).exists()
    assert APIClient(enforce_csrf_checks=True).post("/api/uploads/", {}).status_code == 400  # no cookie: no CSRF risk
