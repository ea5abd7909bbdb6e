"""Logs you can follow a job by: one format, and every line a job logs carries the job's id."""

import io
import logging
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.archives import FER2013_SMALL, zip_folder
from tests.factories import DatasetFactory, ItemFactory, UserFactory, png_bytes
from tests.fakes import fake_sends
from tests.webapp.uploads.conftest import PHOTOS
from webapp.core import jobs
from webapp.labeling import services as labeling
from webapp.uploads.tasks import UPLOAD_PREDICTION, predict_upload
from worker.logs import FORMAT, JobFilter, job_context

pytestmark = pytest.mark.django_db


@contextmanager
def captured_lines():
    """Every line logged in the block, formatted as the site's console handler formats it."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(JobFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    lines: list[str] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        lines.extend(buffer.getvalue().splitlines())


def test_the_site_logs_through_one_formatter_with_the_job_filter():
    console = settings.LOGGING["handlers"]["console"]
    assert settings.LOGGING["formatters"][console["formatter"]]["format"] == FORMAT
    assert settings.LOGGING["filters"][console["filters"][0]]["()"] is JobFilter
    assert "[%(job)s]" in FORMAT
    assert any(isinstance(f, JobFilter) for h in logging.getLogger().handlers for f in h.filters)


def test_every_line_of_an_import_task_carries_its_job_id(post_import, queued, tmp_path):
    from webapp.datasets.tasks import import_dataset

    job_id = post_import(zip_folder(FER2013_SMALL, tmp_path / "fer.zip")).json()["id"]
    assert queued == [([job_id], "cpu")]  # recorded, not run: the task runs below

    with captured_lines() as lines:
        import_dataset(job_id)

    assert len(lines) >= 3  # started, records counted, finished
    assert all(f"[datasets.import:{job_id}]" in line for line in lines), lines
    assert any("21 imported" in line for line in lines)


def test_an_upload_is_followed_from_its_send_to_its_prediction(monkeypatch, django_capture_on_commit_callbacks):
    fake_sends(monkeypatch, [predict_upload], run=True)
    client = APIClient()
    client.force_authenticate(UserFactory())
    photo = PHOTOS / "astronaut.jpg"
    with captured_lines() as lines, photo.open("rb") as handle, django_capture_on_commit_callbacks(execute=True):
        upload_id = client.post("/api/uploads/", {"image": handle}, format="multipart").json()["id"]

    mine = [line for line in lines if f"[uploads.predict:{upload_id}]" in line]
    assert any(" sent upload prediction " in line for line in mine), lines
    assert any("1 faces with" in line for line in mine), lines
    assert [line for line in lines if line not in mine and "webapp." in line] == []


def test_a_labeling_session_logs_under_its_id(admin_user):
    dataset = DatasetFactory()
    for grey in (10, 20, 30):
        ItemFactory(dataset=dataset, image_bytes=png_bytes(grey=grey))
    with captured_lines() as lines:
        session = labeling.create_session(dataset=dataset, name="s", user=admin_user)
        labeling.close_session(session)

    assert len(lines) == 2
    assert all(f"[labeling.session:{session.pk}]" in line for line in lines), lines


def test_a_jobs_heartbeat_thread_logs_under_the_job(monkeypatch):
    def failing_beat(kind, pk):
        raise RuntimeError("database gone")

    monkeypatch.setattr(jobs, "beat", failing_beat)
    monkeypatch.setitem(settings.APP, "JOB_HEARTBEAT_SECONDS", 0.01)

    with captured_lines() as lines, job_context("uploads.predict:7"), jobs.heartbeat(UPLOAD_PREDICTION, 7):
        time.sleep(0.2)

    beats = [line for line in lines if "heartbeat of upload prediction 7 failed" in line]
    assert beats and all("[uploads.predict:7]" in line for line in beats)


def test_lines_outside_a_job_say_so():
    with captured_lines() as lines:
        logging.getLogger("webapp.test").info("no job here")
    assert lines and "[-] no job here" in lines[0]
