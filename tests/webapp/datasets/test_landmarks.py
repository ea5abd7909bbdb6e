"""Landmarks of dataset items: the `datasets.landmarks` job, its API and page, and the import that queues it."""

import numpy as np
import pytest

from tests.archives import FER2013_SMALL, zip_folder
from tests.fakes import fake_sends
from webapp.datasets.importing import run_import
from webapp.datasets.landmarking import run_landmarks
from webapp.datasets.models import Dataset, Item, LandmarkJob, PredictionJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def fer_small(post_import, tmp_path) -> Dataset:
    response = post_import(zip_folder(FER2013_SMALL, tmp_path / "fer.zip"), name="fer-small")
    return run_import(response.json()["id"]).dataset


@pytest.fixture
def eager_landmarks(monkeypatch):
    """The landmark task runs at once in this process when sent (claim, heartbeat, the work), as a worker would."""
    from webapp.datasets.tasks import find_dataset_landmarks

    return fake_sends(monkeypatch, [find_dataset_landmarks], run=True)


@pytest.fixture
def queued_landmarks(monkeypatch):
    from webapp.datasets.tasks import find_dataset_landmarks

    return fake_sends(monkeypatch, [find_dataset_landmarks])


class NeverAsked:
    """A landmark backend for a job with nothing left to do."""

    name = "dlib"

    def predict(self, image, box):
        raise AssertionError("an item that has its landmarks was done again")


def post_landmarks(client, dataset, capture):
    with capture(execute=True):
        return client.post(f"/api/datasets/{dataset.pk}/landmarks/")


def test_the_eager_task_finds_68_points_for_every_item_once(
    fer_small, admin_client, eager_landmarks, django_capture_on_commit_callbacks
):
    response = post_landmarks(admin_client, fer_small, django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.json()
    job_id = response.json()["id"]
    assert eager_landmarks == [([job_id], "cpu")]
    body = admin_client.get(f"/api/landmark-jobs/{job_id}/").json()
    assert (body["status"], body["processed"], body["total"], body["progress"]) == ("done", 21, 21, 1.0)
    assert body["backend"] == "dlib" and body["unreadable"] == 0 and body["dataset_id"] == fer_small.pk
    for item in Item.objects.filter(dataset=fer_small):
        points = np.array(item.landmarks)
        assert points.shape == (68, 2) and item.landmarks_backend == "dlib"
        # the face fills the 48-pixel crop: the points stay (nearly) inside it, eyes above the mouth
        assert (points > -4).all() and (points[:, 0] < item.width + 4).all() and (points[:, 1] < item.height + 4).all()
        assert points[36:48, 1].mean() < points[48:68, 1].mean()


def test_running_again_changes_nothing_and_a_second_request_is_refused(
    fer_small, admin_client, eager_landmarks, django_capture_on_commit_callbacks
):
    job_id = post_landmarks(admin_client, fer_small, django_capture_on_commit_callbacks).json()["id"]
    before = dict(Item.objects.values_list("id", "landmarks"))
    LandmarkJob.objects.filter(pk=job_id).update(status="running")  # as if the worker had died

    again = run_landmarks(job_id, NeverAsked())

    assert (again.status, again.processed) == ("done", 21)
    assert dict(Item.objects.values_list("id", "landmarks")) == before
    response = post_landmarks(admin_client, fer_small, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and "already" in response.json()["error"]["message"]


def test_only_items_without_landmarks_are_done_and_unreadable_images_are_counted(fer_small, queued_landmarks):
    from ml.faces.landmarks import create_landmarker
    from webapp.datasets.services import start_landmarks

    kept = Item.objects.filter(dataset=fer_small).first()
    kept.landmarks, kept.landmarks_backend = [[1.0, 2.0]] * 68, "fan"
    kept.save()
    broken = Item.objects.filter(dataset=fer_small).last()
    with broken.image.open("wb") as handle:
        handle.write(b"not an image")

    job = run_landmarks(start_landmarks(fer_small).pk, create_landmarker("dlib"))

    assert (job.status, job.processed, job.total, job.unreadable) == ("done", 21, 21, 1)
    assert "1 item images could not be read" in job.message
    kept.refresh_from_db()
    broken.refresh_from_db()
    assert kept.landmarks == [[1.0, 2.0]] * 68 and kept.landmarks_backend == "fan"
    assert broken.landmarks is None
    assert Item.objects.filter(dataset=fer_small, landmarks__isnull=True).count() == 1


def test_landmark_api_refusals(fer_small, api_client, annotator, admin_client, queued_landmarks):
    api_client.force_authenticate(annotator)
    assert api_client.post(f"/api/datasets/{fer_small.pk}/landmarks/").status_code == 403
    assert admin_client.post("/api/datasets/99999/landmarks/").status_code == 404
    empty = Dataset.objects.create(name="empty", format="class_folders")
    response = admin_client.post(f"/api/datasets/{empty.pk}/landmarks/")
    assert response.status_code == 400 and "no items" in response.json()["error"]["message"]
    first = admin_client.post(f"/api/datasets/{fer_small.pk}/landmarks/").json()
    second = admin_client.post(f"/api/datasets/{fer_small.pk}/landmarks/").json()
    assert first["id"] == second["id"] and LandmarkJob.objects.count() == 1
    assert admin_client.get(f"/api/landmark-jobs/{first['id']}/").json()["status"] == "pending"
    assert api_client.get(f"/api/landmark-jobs/{first['id']}/").status_code == 403
    assert admin_client.get("/api/landmark-jobs/99999/").status_code == 404


def test_dataset_page_button_queues_the_job_and_shows_its_progress(
    fer_small, client, admin_user, queued_landmarks, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    page = client.get(f"/datasets/{fer_small.pk}/").content.decode()
    assert "21 items without landmarks" in page and "Find landmarks" in page and 'id="landmarks-status"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/datasets/{fer_small.pk}/landmarks/", follow=True)
    page = response.content.decode()
    job = LandmarkJob.objects.get()
    assert queued_landmarks == [([job.pk], "cpu")]
    assert "Finding the landmarks of 21 items." in page
    assert f'id="landmarks-status" data-job="{job.pk}" data-status="pending"' in page
    assert "js/dataset_predict.js" in page  # follows the job with fer.poll


def test_an_import_queues_the_landmark_job(
    admin_client, tmp_path, queued, queued_landmarks, django_capture_on_commit_callbacks
):
    from webapp.datasets.tasks import import_dataset

    with open(zip_folder(FER2013_SMALL, tmp_path / "fer.zip"), "rb") as handle:
        response = admin_client.post("/api/imports/", {"name": "fer", "format": "class_folders", "file": handle})
    with django_capture_on_commit_callbacks(execute=True):
        result = import_dataset(response.json()["id"])

    assert result["imported"] == 21
    job = LandmarkJob.objects.get()
    assert (job.status, job.total, job.dataset.name) == ("pending", 21, "fer")
    assert queued_landmarks == [([job.pk], "cpu")]


class RecordingClassifier:
    """Stands in for ml.pipeline.Classifier: a landmark model at 96 px that records what it was given."""

    uses_landmarks, input_size, grayscale, va_learned = True, 96, True, False

    def __init__(self):
        self.landmarks = []

    def preprocess(self, crops):
        return np.stack(crops)

    def __call__(self, batch, landmarks=None):
        self.landmarks.extend(landmarks)
        probs = np.full((len(batch), 8), 1 / 8, dtype=np.float32)
        return probs, None


def test_dataset_predictions_give_landmark_models_the_items_landmarks_at_their_input_size(fer_small):
    from webapp.datasets import predicting
    from webapp.modelzoo.services import active_version

    items = list(Item.objects.filter(dataset=fer_small).order_by("id"))
    items[0].landmarks = [[10.0, 20.0]] * 68  # in the 48-pixel item image
    items[0].save()
    job = PredictionJob.objects.create(dataset=fer_small, model_version=active_version())
    classifier = RecordingClassifier()

    predicting._predict_batch(job, classifier, items)

    first, *others = classifier.landmarks
    np.testing.assert_allclose(first, [[(10 + 0.5) * 2 - 0.5, (20 + 0.5) * 2 - 0.5]] * 68)  # cv2's pixel centres
    assert len(others) == 20 and all(points is None for points in others)  # the model's default shape
