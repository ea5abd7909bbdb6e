"""Training runs on real Celery workers: a run survives its worker being killed mid-training."""

import os
import signal
from pathlib import Path

import pytest

from tests import faults
from tests.archives import zip_folder
from tests.processes import celery_worker
from webapp.modelzoo.models import ModelVersion
from webapp.training.models import TrainingRun

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FER2013 = Path(__file__).resolve().parents[1] / "fixtures" / "fer" / "fer2013"


def wait_for(condition, what: str, log: Path, timeout: float = 180):
    """tests.faults.wait_for with this module's default wait and one worker log."""
    return faults.wait_for(condition, what, timeout, logs=(log,))


def import_fixture(client, log: Path, tmp_path) -> int:
    with open(zip_folder(FER2013, tmp_path / "fer.zip"), "rb") as handle:
        response = client.post("/api/imports/", {"name": "fer-kill", "format": "class_folders", "file": handle})
    job_id = response.json()["id"]
    wait_for(lambda: client.get(f"/api/imports/{job_id}/").json()["status"] == "done", "the import", log)
    return response.json()["dataset_id"]


def kill_worker(process) -> None:
    """SIGKILL the worker and its pool process, as if the machine had died: no clean-up runs."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    for pid in [process.pid, *map(int, children)]:
        os.kill(pid, signal.SIGKILL)
    process.wait()


def test_a_killed_worker_run_resumes_from_its_checkpoint_on_another_worker(api_client, admin_user, worker_env,
                                                                           shared_worker, tmp_path):  # fmt: skip
    api_client.force_authenticate(admin_user)
    # The first worker is the session's (the only one consuming now): killed here, restarted by the next test
    # that asks for `worker`.
    first = shared_worker.running()
    first_log, second_log = first.log, tmp_path / "second.log"
    dataset_id = import_fixture(api_client, first_log, tmp_path)
    response = api_client.post("/api/training/runs/", {
        "datasets": [dataset_id], "architecture": "simple_cnn", "epochs": 4, "batch_size": 8, "queue": "gpu",
    }, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    run_id = response.json()["id"]
    # Epoch 1 is checkpointed once it shows in the history; kill the worker while epoch 2 trains.
    wait_for(lambda: len(TrainingRun.objects.get(pk=run_id).history) >= 1, "epoch 1", first_log)
    kill_worker(first)
    run = TrainingRun.objects.get(pk=run_id)
    assert run.status == "running" and run.epoch < 4 and run.attempts == 1
    killed_at = len(run.history)

    with celery_worker(worker_env, second_log):
        run = wait_for(lambda: TrainingRun.objects.filter(pk=run_id, status__in=TrainingRun.FINISHED).first(),
                       "the resumed run finishing", second_log, timeout=300)  # fmt: skip

    assert run.status == "done", run.message
    assert run.attempts == 2 and run.resumed_from_epoch == killed_at + 1 >= 2
    assert [h["epoch"] for h in run.history] == [1, 2, 3, 4]  # every epoch once: no second start from 1
    assert f"resuming from checkpoint of epoch {killed_at}" in run.log_tail
    assert "starting at epoch 1" in run.log_tail and run.log_tail.count("starting at epoch 1") == 1
    assert ModelVersion.objects.filter(training_runs=run).count() == 1
    assert run.model_version.path.is_file() and run.model_version.evaluations.filter(split="val").exists()
    assert "Task training.run[" in second_log.read_text()
