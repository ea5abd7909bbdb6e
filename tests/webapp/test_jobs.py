"""The row is the truth of a job (webapp.core.jobs): refused sends, claims, heartbeats and the sweeper."""

import datetime as dt
import io
import time
from pathlib import Path

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from tests.archives import zip_folder
from webapp.core import jobs
from webapp.datasets.models import Dataset, ImportJob
from webapp.datasets.tasks import IMPORT
from webapp.uploads.models import Upload
from webapp.uploads.tasks import UPLOAD_PREDICTION

pytestmark = pytest.mark.django_db

PHOTOS = Path(__file__).resolve().parents[1] / "fixtures" / "photos"
FER2013 = Path(__file__).resolve().parents[1] / "fixtures" / "fer" / "fer2013"


class Broker:
    """Stands in for the Celery tasks' publishing: refuses like a stopped Redis, or records."""

    def __init__(self):
        self.refusing = False
        self.sent = []

    def publisher(self, task):
        def apply_async(args, queue):
            if self.refusing:
                raise OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")
            self.sent.append((task.name, args, queue))
            return type("Result", (), {"id": f"task-{len(self.sent)}"})()

        return apply_async


@pytest.fixture
def broker(monkeypatch):
    from webapp.datasets.tasks import import_dataset, predict_dataset
    from webapp.training.tasks import train_run
    from webapp.uploads.tasks import predict_upload

    fake = Broker()
    for task in (predict_upload, import_dataset, predict_dataset, train_run):
        monkeypatch.setattr(task, "apply_async", fake.publisher(task))
    return fake


@pytest.fixture
def job_settings(settings):
    def change(**values):
        settings.APP = {**settings.APP, **values}

    return change


def post(client, url, data, capture):
    with capture(execute=True):
        return client.post(url, data, format="multipart")


# ---- the broker refuses: the request still answers, the row waits ---------------------------------


@pytest.mark.django_db(transaction=True)  # commits as in production, so the send happens inside the request
def test_an_upload_the_broker_refuses_is_accepted_and_stays_pending(admin_client, broker, monkeypatch):
    from webapp.uploads import services

    def no_wait(*args, **kwargs):
        raise AssertionError("waited for a worker although the job was never sent")

    monkeypatch.setattr(services, "wait_until_finished", no_wait)
    broker.refusing = True
    with open(PHOTOS / "astronaut.jpg", "rb") as handle:
        response = admin_client.post("/api/predict/", {"image": handle}, format="multipart")
    assert response.status_code == 202, response.content
    upload = Upload.objects.get(pk=response.json()["id"])
    assert (upload.status, upload.task_id, upload.attempts) == ("pending", "", 0) and upload.sent_at is not None


def test_an_import_the_broker_refuses_is_stored_whole_and_sent_later(admin_client, broker, tmp_path, job_settings,
                                                                     django_capture_on_commit_callbacks):  # fmt: skip
    broker.refusing = True
    with open(zip_folder(FER2013, tmp_path / "fer.zip"), "rb") as handle:
        data = {"name": "refused", "format": "class_folders", "file": handle}
        response = post(admin_client, "/api/imports/", data, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.status == "pending" and job.task_id == "" and job.source and Path(job.source.path).is_file()
    assert Dataset.objects.filter(name="refused").count() == 1

    broker.refusing = False
    job_settings(JOB_RESEND_SECONDS=0.5)
    assert jobs.sweep([IMPORT]).resent == []  # sent a moment ago: not yet due
    ImportJob.objects.filter(pk=job.pk).update(sent_at=timezone.now() - dt.timedelta(seconds=1))
    assert jobs.sweep([IMPORT]).resent == [("dataset import", job.pk)]
    assert broker.sent == [("datasets.import", [job.pk], "cpu")]
    assert ImportJob.objects.get(pk=job.pk).task_id == "task-1"


# ---- one photo per request --------------------------------------------------------------------------


def test_several_photos_in_one_request_are_refused_with_the_reason(admin_client, broker,
                                                                   django_capture_on_commit_callbacks):  # fmt: skip
    photos = [io.BytesIO((PHOTOS / "blank.png").read_bytes()) for _ in range(3)]
    for index, photo in enumerate(photos):
        photo.name = f"photo{index}.png"
    response = post(admin_client, "/api/uploads/", {"image": photos}, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "one photo per request; this one has 3 'image' files" in response.json()["error"]["message"]
    assert not Upload.objects.exists() and broker.sent == []


@pytest.mark.django_db(transaction=True)
def test_an_upload_that_already_failed_is_not_answered_202(admin_client, broker, monkeypatch):
    def fail_at_once(args, queue):  # a worker so quick that the job failed before the answer left
        Upload.objects.filter(pk=args[0]).update(status="failed", message="the photo could not be read: test")
        return type("Result", (), {"id": "task-x"})()

    from webapp.uploads.tasks import predict_upload

    monkeypatch.setattr(predict_upload, "apply_async", fail_at_once)
    with open(PHOTOS / "blank.png", "rb") as handle:
        response = admin_client.post("/api/uploads/", {"image": handle}, format="multipart")
    assert response.status_code == 422 and "could not be read" in response.json()["error"]["message"]


# ---- claims, heartbeats and the sweeper ---------------------------------------------------------------


@pytest.fixture
def upload(admin_client, broker, django_capture_on_commit_callbacks):
    with open(PHOTOS / "blank.png", "rb") as handle:
        response = post(admin_client, "/api/uploads/", {"image": handle}, django_capture_on_commit_callbacks)
    broker.sent.clear()
    return Upload.objects.get(pk=response.json()["id"])


def test_only_one_claim_wins_and_a_dead_workers_job_can_be_claimed_again(upload, job_settings):
    job_settings(JOB_STALE_SECONDS=30, JOB_MAX_ATTEMPTS=2)
    assert jobs.claim(UPLOAD_PREDICTION, upload.pk) is True
    assert jobs.claim(UPLOAD_PREDICTION, upload.pk) is False  # the duplicate message: a live worker has it
    Upload.objects.filter(pk=upload.pk).update(heartbeat_at=timezone.now() - dt.timedelta(seconds=31))
    assert jobs.claim(UPLOAD_PREDICTION, upload.pk) is True  # its worker stopped beating
    Upload.objects.filter(pk=upload.pk).update(heartbeat_at=timezone.now() - dt.timedelta(seconds=31))
    assert jobs.claim(UPLOAD_PREDICTION, upload.pk) is False  # out of attempts
    Upload.objects.filter(pk=upload.pk).update(status="done")
    assert jobs.claim(UPLOAD_PREDICTION, upload.pk) is False
    assert Upload.objects.get(pk=upload.pk).attempts == 2


@pytest.mark.django_db(transaction=True)  # the heartbeat thread has its own connection: it sees committed rows
def test_heartbeat_keeps_a_running_job_fresh(upload, job_settings):
    job_settings(JOB_HEARTBEAT_SECONDS=0.05)
    jobs.claim(UPLOAD_PREDICTION, upload.pk)
    Upload.objects.filter(pk=upload.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    with jobs.heartbeat(UPLOAD_PREDICTION, upload.pk):
        deadline = time.monotonic() + 5
        while Upload.objects.get(pk=upload.pk).heartbeat_at < timezone.now() - dt.timedelta(minutes=1):
            assert time.monotonic() < deadline, "no heartbeat within 5 s"
            time.sleep(0.05)


def test_the_sweeper_resends_a_dead_workers_job_and_fails_it_after_the_last_attempt(upload, broker, job_settings):
    job_settings(JOB_STALE_SECONDS=10, JOB_MAX_ATTEMPTS=2)
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    jobs.claim(UPLOAD_PREDICTION, upload.pk)
    Upload.objects.filter(pk=upload.pk).update(heartbeat_at=long_ago, sent_at=long_ago)
    assert jobs.sweep([UPLOAD_PREDICTION]).resent == [("upload prediction", upload.pk)]
    assert broker.sent == [("uploads.predict", [upload.pk], "cpu")]
    assert jobs.sweep([UPLOAD_PREDICTION]).resent == []  # just re-sent: its new message gets time

    jobs.claim(UPLOAD_PREDICTION, upload.pk)  # the second worker takes it ... and dies too
    Upload.objects.filter(pk=upload.pk).update(heartbeat_at=long_ago, sent_at=long_ago)
    report = jobs.sweep([UPLOAD_PREDICTION])
    assert report.failed == [("upload prediction", upload.pk)] and report.resent == []
    upload.refresh_from_db()
    assert upload.status == "failed" and upload.message.startswith("gave up after 2 attempts")
    assert upload.finished_at is not None


def test_job_settings_come_from_the_environment_and_a_heartbeat_must_fit_the_stale_limit(tmp_path):
    from webapp.config import ConfigError, load_config

    environ = {
        "FER_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "k",
        "JOB_STALE_SECONDS": "3",
        "JOB_HEARTBEAT_SECONDS": "0.5",
    }
    config = load_config(environ)
    assert (config.job_stale_seconds, config.job_heartbeat_seconds, config.job_max_attempts) == (3, 0.5, 3)
    with pytest.raises(ConfigError, match="JOB_STALE_SECONDS .* at least twice JOB_HEARTBEAT_SECONDS"):
        load_config({**environ, "JOB_HEARTBEAT_SECONDS": "2"})


def test_an_evaluation_is_a_job_row_measured_once_per_queuing(broker, monkeypatch, django_capture_on_commit_callbacks):
    from webapp.modelzoo import evaluation, services
    from webapp.modelzoo.models import EvaluationJob
    from webapp.modelzoo.tasks import evaluate_model_version

    measured = []
    monkeypatch.setattr(evaluation, "measure_version", lambda version: measured.append(version.pk) or [])
    monkeypatch.setattr(evaluate_model_version, "apply_async", broker.publisher(evaluate_model_version))
    version = services.active_version()
    broker.refusing = True
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_evaluation(version)
    job = EvaluationJob.objects.get(pk=version.pk)
    assert (job.status, job.task_id) == ("pending", "") and job.sent_at is not None  # the sweeper's to send

    evaluate_model_version(version.pk)
    evaluate_model_version(version.pk)  # a duplicate message
    assert measured == [version.pk] and EvaluationJob.objects.get(pk=version.pk).status == "done"

    broker.refusing = False
    with django_capture_on_commit_callbacks(execute=True):
        services.queue_evaluation(version)  # queued again: measured again
    assert broker.sent == [("modelzoo.evaluate", [version.pk], "cpu")]
    evaluate_model_version(version.pk)
    assert measured == [version.pk, version.pk]
