"""The uploads API: predict, queue, list, read, delete, faces and corrections, with hostile inputs."""

from dataclasses import replace
from pathlib import Path

import pytest
from django.conf import settings

from ml.settings import PipelineSettings
from tests.webapp.uploads.conftest import PHOTOS, image_bytes
from webapp.datasets.models import Dataset, Label
from webapp.modelzoo.services import active_version
from webapp.uploads.models import Face, Upload

pytestmark = pytest.mark.django_db


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "uploads"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="pw-alice-123")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", password="pw-bob-123")


@pytest.fixture
def client_of(api_client):
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def predicted(client_of, alice, run_inline, post_photo):
    """Alice's two-face photo, predicted by the real pipeline in this process."""
    response = post_photo(client_of(alice), PHOTOS / "fer_two_faces.png")
    assert response.status_code == 202
    return Upload.objects.get(pk=response.json()["id"])


# --- predict (synchronous) -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the task runs at commit, before the view waits
def test_predict_answers_the_faces_of_a_small_photo(client_of, alice, run_inline, post_photo):
    response = post_photo(client_of(alice), PHOTOS / "fer_two_faces.png", url="/api/predict/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "done" and body["model_version"] == active_version().tag
    assert (body["width"], body["height"], body["format"]) == (640, 480, "PNG")
    assert sorted(f["emotion"] for f in body["faces"]) == ["happy", "surprise"]  # faces come best score first
    face = body["faces"][0]
    assert len(face["landmarks"]) == 68 and abs(sum(face["probs"].values()) - 1) < 1e-2
    # The bundled default's V/A head learned on DiffusionFER's synthetic faces, and the API says so.
    assert face["va_source"] == "learned" and face["va_learned_on"] == "synthetic faces" and -1 <= face["valence"] <= 1
    assert face["model_version"] == body["model_version"]
    assert face["saliency_url"] and face["crop_url"]
    # The stored photo, two crops and two saliency overlays.
    assert len(stored_files()) == 5
    assert Face.objects.filter(upload_id=body["id"], model_version__is_active=True).count() == 2


def test_predict_gives_the_job_when_the_worker_does_not_answer_in_time(client_of, alice, queue_only, post_photo,
                                                                        settings):  # fmt: skip
    settings.APP = {**settings.APP, "PREDICT_WAIT_SECONDS": 0.2}
    response = post_photo(client_of(alice), PHOTOS / "astronaut.jpg", url="/api/predict/")
    assert response.status_code == 202
    assert response.json()["status"] == "pending" and queue_only == [([response.json()["id"]], "cpu")]


def test_predict_does_not_wait_for_a_big_photo(client_of, alice, queue_only, post_photo, settings):
    settings.APP = {**settings.APP, "PREDICT_WAIT_SECONDS": 30}
    big = image_bytes(size=(2500, 2000), format="PNG")
    response = post_photo(client_of(alice), ("big.png", big), url="/api/predict/")
    assert response.status_code == 202 and response.json()["status"] == "pending"


@pytest.mark.django_db(transaction=True)
def test_predict_reports_a_failed_prediction(client_of, alice, monkeypatch, run_inline, post_photo):
    from ml.faces.weights import MissingWeightsError
    from worker import pipelines

    def missing(version, settings):
        raise MissingWeightsError("emotion classifier checkpoint", "FER_MODEL", Path("/nowhere.pt"))

    monkeypatch.setattr(pipelines, "pipeline_for", missing)
    response = post_photo(client_of(alice), PHOTOS / "astronaut.jpg", url="/api/predict/")
    assert response.status_code == 422
    assert "the model could not be loaded" in response.json()["error"]["message"]
    assert Upload.objects.get().status == "failed"


# --- queueing and limits ---------------------------------------------------------------------


def test_upload_queues_a_job_on_the_cpu_queue(client_of, alice, queue_only, post_photo):
    response = post_photo(client_of(alice), PHOTOS / "astronaut.jpg")
    assert response.status_code == 202
    upload = Upload.objects.get()
    assert queue_only == [([upload.pk], "cpu")] and upload.task_id == "task-1"
    assert (upload.owner, upload.status, upload.original_name) == (alice, "pending", "astronaut.jpg")
    assert upload.sha256 and upload.size_bytes == (PHOTOS / "astronaut.jpg").stat().st_size
    assert response.json()["page_url"] == f"/gallery/{upload.pk}/"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.jpg", b"these are my notes, renamed to .jpg", "not an image"),
        ("cut.jpg", (PHOTOS / "astronaut.jpg").read_bytes()[:5000], "corrupt image"),
        ("empty.jpg", b"", "empty"),
        ("old.jpg", image_bytes(format="GIF"), "GIF images are not accepted"),
        ("scan.tif", image_bytes(format="TIFF"), "TIFF images are not accepted; use JPEG, MPO"),
    ],
)
def test_bad_photos_are_refused_and_nothing_is_stored(client_of, alice, queue_only, post_photo, name, data, message):
    response = post_photo(client_of(alice), (name, data))
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert not Upload.objects.exists() and stored_files() == [] and queue_only == []


def multi_picture_jpeg() -> bytes:
    """An MPO file as phones save them: the photo, then a second (here: black) frame."""
    import io

    from PIL import Image

    first = Image.open(PHOTOS / "astronaut.jpg")
    buffer = io.BytesIO()
    first.save(buffer, format="MPO", save_all=True, append_images=[Image.new("RGB", first.size)])
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [("bitmap.bmp", image_bytes(format="BMP"), "BMP"), ("phone.jpg", multi_picture_jpeg(), "MPO")],
)
def test_every_listed_format_is_accepted(client_of, alice, queue_only, post_photo, name, data, kind):
    response = post_photo(client_of(alice), (name, data))

    assert response.status_code == 202, response.json()
    assert response.json()["format"] == kind


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        (10_000, "the request is 0.07 MB; the photo limit is 0.01 MB"),  # refused from Content-Length
        ((PHOTOS / "astronaut.jpg").stat().st_size - 1, "the photo is 0.06 MB; the limit is 0.06 MB"),  # once received
    ],
)
def test_a_photo_over_the_byte_limit_is_413(client_of, alice, queue_only, post_photo, settings, limit, message):
    settings.APP = {**settings.APP, "MAX_UPLOAD_BYTES": limit}
    response = post_photo(client_of(alice), PHOTOS / "astronaut.jpg")
    assert response.status_code == 413
    assert message in response.json()["error"]["message"]
    assert not Upload.objects.exists() and stored_files() == []


def test_a_photo_over_the_pixel_limit_is_refused(client_of, alice, queue_only, post_photo, settings):
    settings.CONFIG = replace(settings.CONFIG, pipeline=PipelineSettings(max_image_pixels=100_000))
    response = post_photo(client_of(alice), PHOTOS / "astronaut.jpg")  # 512 x 512 = 262,144 pixels
    assert response.status_code == 400
    assert "over the limit of 100,000 pixels" in response.json()["error"]["message"]
    assert not Upload.objects.exists() and stored_files() == []


def test_a_request_without_a_photo_is_400(client_of, alice, queue_only):
    response = client_of(alice).post("/api/uploads/", {}, format="multipart")
    assert response.status_code == 400 and "image" in response.json()["error"]["fields"]


def test_exif_orientation_gives_the_upright_size(client_of, alice, queue_only, post_photo):
    turned = image_bytes(size=(64, 48), format="JPEG", exif_orientation=6)  # stored landscape, shown portrait
    response = post_photo(client_of(alice), ("phone.jpg", turned))
    assert response.status_code == 202
    assert (response.json()["width"], response.json()["height"]) == (48, 64)


# --- who may do what --------------------------------------------------------------------------


def test_anonymous_visitors_are_refused_when_the_demo_is_off(api_client, queue_only, post_photo, settings):
    settings.APP = {**settings.APP, "ALLOW_ANONYMOUS_DEMO": False}
    assert post_photo(api_client, PHOTOS / "astronaut.jpg").status_code == 401
    assert post_photo(api_client, PHOTOS / "astronaut.jpg", url="/api/predict/").status_code == 401
    assert api_client.get("/api/uploads/").status_code == 401
    assert not Upload.objects.exists()


def test_anonymous_demo_uploads_belong_to_their_session(api_client, queue_only, post_photo):
    from rest_framework.test import APIClient

    response = post_photo(api_client, PHOTOS / "astronaut.jpg")
    assert response.status_code == 202
    upload = Upload.objects.get()
    assert upload.owner is None and upload.session_key
    assert api_client.get(f"/api/uploads/{upload.pk}/").status_code == 200
    assert [u["id"] for u in api_client.get("/api/uploads/").json()["results"]] == [upload.pk]
    stranger = APIClient()
    assert stranger.get(f"/api/uploads/{upload.pk}/").status_code == 404
    assert stranger.get("/api/uploads/").json()["results"] == []


def test_nobody_else_sees_or_deletes_an_upload(client_of, alice, bob, admin_user, predicted):
    face = predicted.faces.first()
    bob_client = client_of(bob)
    assert bob_client.get(f"/api/uploads/{predicted.pk}/").status_code == 404
    assert bob_client.delete(f"/api/uploads/{predicted.pk}/").status_code == 404
    assert bob_client.post(f"/api/faces/{face.pk}/corrections/", {"emotion": "sad"}, format="json").status_code == 404
    assert bob_client.get("/api/faces/").json()["results"] == []
    assert bob_client.get("/api/uploads/").json()["results"] == []
    assert client_of(admin_user).get(f"/api/uploads/{predicted.pk}/").status_code == 200
    assert Upload.objects.filter(pk=predicted.pk).exists() and not Label.objects.exists()


# --- reading, filtering, deleting -------------------------------------------------------------


def test_list_filters_by_emotion_model_and_corrections(client_of, alice, predicted, post_photo):
    client = client_of(alice)
    blank = post_photo(client, PHOTOS / "blank.png").json()["id"]

    def ids(query=""):
        return [u["id"] for u in client.get(f"/api/uploads/{query}").json()["results"]]

    assert ids() == [blank, predicted.pk]
    assert ids("?emotion=surprise") == [predicted.pk] and ids("?emotion=fear") == []
    assert ids(f"?model_version={active_version().tag}") == [blank, predicted.pk]
    assert ids("?model_version=nope:000") == []
    assert ids("?corrected=true") == []
    client.post(f"/api/faces/{predicted.faces.first().pk}/corrections/", {"emotion": "neutral"}, format="json")
    assert ids("?corrected=true") == [predicted.pk] and ids("?corrected=false") == [blank]
    assert Upload.objects.get(pk=blank).faces.count() == 0  # no face is a success with none
    assert ids("?status=done") == [blank, predicted.pk]


def test_faces_list_filters(client_of, alice, predicted):
    client = client_of(alice)
    faces = client.get(f"/api/faces/?upload={predicted.pk}").json()["results"]
    assert [f["index"] for f in faces] == [0, 1]
    assert [f["emotion"] for f in client.get("/api/faces/?emotion=happy").json()["results"]] == ["happy"]
    assert client.get("/api/faces/?upload=abc").status_code == 400


def test_delete_removes_the_row_and_its_files(client_of, alice, predicted, django_capture_on_commit_callbacks):
    assert len(stored_files()) == 5
    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(alice).delete(f"/api/uploads/{predicted.pk}/")
    assert response.status_code == 204
    assert not Upload.objects.exists() and not Face.objects.exists() and stored_files() == []


def test_deleting_a_user_removes_their_uploads_and_files(alice, predicted, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()
    assert not Upload.objects.exists() and not Face.objects.exists() and stored_files() == []


# --- corrections ------------------------------------------------------------------------------


def test_a_correction_becomes_a_label_of_a_corrections_dataset_item(client_of, alice, predicted):
    face = predicted.faces.get(index=0)
    client = client_of(alice)
    response = client.post(f"/api/faces/{face.pk}/corrections/", {"emotion": "sad"}, format="json")
    assert response.status_code == 201
    body = response.json()
    face.refresh_from_db()
    assert body["item"] == face.item_id and body["source"] == "correction" and body["created_by"] == "alice"
    item = face.item
    assert item.dataset.format == Dataset.Format.UPLOADS and item.split == "uploads"
    assert (item.width, item.height) == (48, 48) and Path(item.image.path).is_file()
    # A second correction (valence/arousal only) is another label on the same item.
    again = client.post(f"/api/faces/{face.pk}/corrections/", {"valence": -0.5, "arousal": 0.25}, format="json")
    assert again.status_code == 201 and again.json()["item"] == item.pk
    labels = list(Label.objects.filter(item=item).values_list("emotion", "valence", "arousal", "source"))
    assert labels == [("sad", None, None, "correction"), (None, -0.5, 0.25, "correction")]
    detail = client.get(f"/api/uploads/{predicted.pk}/").json()
    assert [c["emotion"] for c in detail["faces"][0]["corrections"]] == ["sad", None]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "give an emotion"),
        ({"emotion": "bored"}, "not a valid choice"),
        ({"arousal": 0.5}, "together"),
        ({"valence": 1.5, "arousal": 0}, "less than or equal to 1"),
        ({"valence": "high", "arousal": 0}, "valid number"),
    ],
)
def test_bad_corrections_are_refused(client_of, alice, predicted, body, message):
    face = predicted.faces.first()
    response = client_of(alice).post(f"/api/faces/{face.pk}/corrections/", body, format="json")
    assert response.status_code == 400 and message in response.json()["error"]["message"]
    assert not Label.objects.exists() and not Dataset.objects.exists()


def test_anonymous_demo_users_cannot_correct(api_client, queue_only, post_photo, predicted):
    face = predicted.faces.first()
    assert api_client.post(f"/api/faces/{face.pk}/corrections/", {"emotion": "sad"}, format="json").status_code == 401


def test_the_api_is_in_the_openapi_schema(api_client):
    schema = api_client.get("/api/schema/").content.decode()
    for path in ("/api/predict/", "/api/uploads/{id}/", "/api/faces/{id}/corrections/", "/api/faces/"):
        assert path in schema


def test_links_in_api_answers_work_with_the_api_token(alice, bob, predicted):
    """page_url, image_url, crop_url and saliency_url answer an API client that sends its token, and only the owner."""
    from django.test import Client
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=alice).key
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    body = client.get(f"/api/uploads/{predicted.pk}/").json()
    face = body["faces"][0]
    links = [body["page_url"], body["image_url"], face["crop_url"], face["saliency_url"]]
    assert all(links)
    for link in links:
        assert client.get(link).status_code == 200, link
    stranger = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=bob).key}")
    assert all(stranger.get(link).status_code == 404 for link in links)
    assert Client().get(body["image_url"]).status_code == 404
    bad = Client(HTTP_AUTHORIZATION="Token nope").get(body["image_url"])
    assert bad.status_code == 401
