"""No lost work, with real processes: Redis, gunicorn and Celery workers, broken on purpose.

- a worker killed (SIGKILL) with uploads queued: a new worker finishes every one, each once;
- the broker refusing connections during an import and a training launch: both accepted at once,
  nothing half-stored, and both run once the broker is back;
- the broker paused (SIGSTOP): every request answers within 5 s.

Job timings are shortened through the environment (heartbeat 0.5 s, stale after 3 s, sweep every
second), as an operator could; see docs/configuration.md.
"""

import os

import pytest
from rest_framework.authtoken.models import Token

from tests.archives import zip_folder
from tests.faults import Client, Redis, database_url_for_workers, finished_predictions, kill_tree, wait_for
from tests.processes import celery_worker, web_server
from tests.worker.test_training_task import FER2013
from webapp.datasets.models import Dataset, ImportJob
from webapp.training.models import TrainingRun
from webapp.uploads.models import Face, Upload

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHOTO = (FER2013.parents[1] / "photos" / "astronaut.jpg").read_bytes()
FAST_JOBS = {
    "JOB_HEARTBEAT_SECONDS": "0.5",
    "JOB_STALE_SECONDS": "3",
    "JOB_RESEND_SECONDS": "3",
    "JOB_SWEEP_SECONDS": "1",
    "BROKER_TIMEOUT_SECONDS": "1",
}


@pytest.fixture
def redis(tmp_path):
    server = Redis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def env(redis):
    database = database_url_for_workers()
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "webapp.settings", "DATABASE_URL": database,
            "REDIS_URL": redis.url, **FAST_JOBS}  # fmt: skip


@pytest.fixture
def client(env, admin_user, tmp_path):
    token = Token.objects.create(user=admin_user)
    with web_server(env, tmp_path / "web.log") as url:
        yield Client(url, token.key)


def post_photo(client):
    return client.post_files("/api/uploads/", {}, {"image": ("astronaut.jpg", PHOTO)})


def test_a_killed_worker_loses_no_upload_and_runs_none_twice(client, env, tmp_path):
    count = 8
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    with celery_worker(env, first_log) as first:
        answers = [post_photo(client) for _ in range(count)]
        assert [status for status, _, _ in answers] == [202] * count, answers
        ids = [body["id"] for _, body, _ in answers]
        uploads = Upload.objects.filter(pk__in=ids)
        wait_for(lambda: uploads.filter(status="done").exists() and uploads.filter(status="running").exists(),
                 "one upload done and one running", 120, [first_log])  # fmt: skip
        kill_tree(first)
    assert uploads.exclude(status="done").count() >= 2  # the running one and the queued ones

    with celery_worker(env, second_log):
        wait_for(lambda: uploads.filter(status="done").count() == count, "every upload done", 180,
                 [first_log, second_log])  # fmt: skip
    finished = finished_predictions(first_log, second_log)
    assert all(finished[pk] <= 1 for pk in ids), finished  # none predicted twice
    # Each finish is logged after its commit: only the kill can fall between the two, for one upload.
    assert sum(finished[pk] for pk in ids) >= count - 1, finished
    assert Face.objects.filter(upload__in=ids).count() == count  # one face each, no leftovers
    assert uploads.filter(attempts=2).count() >= 1  # the one the killed worker was running


def test_a_refused_broker_leaves_import_and_training_whole_and_both_run_when_it_is_back(client, env, redis,
                                                                                          tmp_path):  # fmt: skip
    log = tmp_path / "worker.log"
    archive = zip_folder(FER2013, tmp_path / "fer.zip").read_bytes()

    def start_import(name):
        return client.post_files("/api/imports/", {"name": name, "format": "class_folders"},
                                 {"file": ("fer.zip", archive)})  # fmt: skip

    with celery_worker(env, log):
        status, first, _ = start_import("fer-first")
        assert status == 202, first
        wait_for(lambda: ImportJob.objects.filter(pk=first["id"], status="done").exists(), "first import", 120, [log])

        redis.stop()
        status, job, seconds = start_import("fer-while-down")
        assert status == 202 and seconds < 5, (status, job, seconds)
        status, run, seconds = client.post_json("/api/training/runs/", {
            "datasets": [first["dataset_id"]], "architecture": "simple_cnn", "epochs": 1, "batch_size": 8,
            "queue": "cpu",
        })  # fmt: skip
        assert status == 201 and seconds < 5, (status, run, seconds)
        job_row, run_row = ImportJob.objects.get(pk=job["id"]), TrainingRun.objects.get(pk=run["id"])
        assert (job_row.status, job_row.task_id, job_row.source.size) == ("pending", "", len(archive))
        assert Dataset.objects.get(name="fer-while-down").items.count() == 0
        assert (run_row.status, run_row.task_id) == ("queued", "")

        redis.start()
        wait_for(lambda: ImportJob.objects.filter(pk=job["id"], status="done").exists(), "the waiting import", 180,
                 [log])  # fmt: skip
        wait_for(lambda: TrainingRun.objects.filter(pk=run["id"], status__in=TrainingRun.FINISHED).exists(),
                 "the waiting run", 300, [log])  # fmt: skip
    job_row, run_row = ImportJob.objects.get(pk=job["id"]), TrainingRun.objects.get(pk=run["id"])
    assert job_row.attempts == 1 and job_row.imported > 0
    assert run_row.status == "done" and run_row.attempts == 1, run_row.message


def test_a_paused_broker_costs_every_request_seconds_not_minutes(client, redis):
    with redis.paused():
        health = client.get("/api/health/")
        predict = client.post_files("/api/predict/", {}, {"image": ("astronaut.jpg", PHOTO)})
        upload = post_photo(client)
    for status, body, seconds in (health, predict, upload):
        assert seconds < 5, (status, body, seconds)
    assert health[0] == 503 and "did not answer" in health[1]["checks"]["broker"]["message"], health[1]
    assert predict[0] == upload[0] == 202
    assert Upload.objects.get(pk=upload[1]["id"]).status == "pending"  # kept, to be sent by the sweeper
