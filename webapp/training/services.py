"""Training run changes: launching, cancelling, the worker's lease, progress and the result."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from webapp.core import jobs
from webapp.core.exceptions import ApplicationError
from webapp.training.models import TrainingRun
from webapp.training.tasks import TRAINING

# A worker renews its lease every HEARTBEAT_SECONDS; a lease not renewed for LEASE_SECONDS
# belongs to a dead worker, and another worker may take the run over.
LEASE_SECONDS = 30
HEARTBEAT_SECONDS = 5
LOG_TAIL_LINES = 200


class RunRejected(ApplicationError):
    """A run that cannot start or change; the message is for the user (the API: 400 on `run`)."""

    field = "run"


def run_dir(run: TrainingRun) -> Path:
    """Where the run's data, checkpoints and history live while it trains (not served to anyone)."""
    return Path(settings.CONFIG.var_dir) / "training" / f"run-{run.pk}"


def forget_item_images(item_ids: set[int]) -> int:
    """Remove training runs' copies of these items' images (an upload was deleted); returns how many.

    materialize.py names every copy after its item's id, whatever the layout.
    """
    root = Path(settings.CONFIG.var_dir) / "training"
    removed = 0
    for path in root.glob("run-*/data/**/*"):
        if path.is_file() and path.stem.isdigit() and int(path.stem) in item_ids:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def launch_run(*, user, name: str, datasets, label_sources: list[str], architecture: str, task: str,
               queue: str, config: dict) -> TrainingRun:  # fmt: skip
    """Record the run and send its task to the chosen queue once the row is committed."""
    with transaction.atomic():
        run = TrainingRun.objects.create(
            name=name, label_sources=label_sources, architecture=architecture, task=task, queue=queue,
            config=config, created_by=user,
        )  # fmt: skip
        run.datasets.set(datasets)
        jobs.send_after_commit(TRAINING, run.pk)
    return run


def enqueue(run: TrainingRun) -> bool:
    """Send the run's task now; False when the broker refused (the run stays queued for the sweeper)."""
    return jobs.send(TRAINING, run.pk)


def cancel_run(run: TrainingRun) -> TrainingRun:
    """Ask the worker to stop at its next step; a run no worker holds yet stops at once."""
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().get(pk=run.pk)
        if run.is_finished:
            raise RunRejected(f"run {run.pk} has already {run.status}")
        if run.status == TrainingRun.Status.EVALUATING:
            raise RunRejected(f"run {run.pk} has finished training and is being evaluated")
        run.cancel_requested = True
        if run.status == TrainingRun.Status.QUEUED:
            run.status, run.finished_at, run.message = TrainingRun.Status.CANCELLED, timezone.now(), "cancelled"
        run.save(update_fields=["cancel_requested", "status", "finished_at", "message"])
    return run


# ---- the worker's side -------------------------------------------------------------------------


class LeaseHeld(Exception):
    """Another live worker holds the run; `seconds_left` until its lease runs out."""

    def __init__(self, owner: str, seconds_left: float):
        super().__init__(f"held by {owner} for {seconds_left:.0f} more seconds")
        self.owner, self.seconds_left = owner, seconds_left


def claim(run_id: int, owner: str, host: str, device: str) -> TrainingRun | None:
    """Take the run for `owner`: None if it is already finished; LeaseHeld if a live worker has it."""
    now = timezone.now()
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().get(pk=run_id)
        if run.is_finished:
            return None
        if run.lease_owner and run.lease_owner != owner and run.lease_expires_at and run.lease_expires_at > now:
            raise LeaseHeld(run.lease_owner, (run.lease_expires_at - now).total_seconds())
        limit = settings.APP["JOB_MAX_ATTEMPTS"]
        if run.attempts >= limit:  # as the job sweeper would (webapp.core.jobs), should a copy come first
            run.status, run.finished_at, run.lease_owner, run.lease_expires_at = "failed", now, "", None
            run.message = f"gave up after {limit} attempts: each time, the worker running this run stopped"
            run.save()
            return None
        run.lease_owner, run.lease_expires_at = owner, now + dt.timedelta(seconds=LEASE_SECONDS)
        run.attempts += 1
        run.status, run.worker_host, run.device = TrainingRun.Status.RUNNING, host, device
        run.started_at = run.started_at or now
        run.save()
    return run


def renew_lease(run_id: int, owner: str) -> bool:
    """Extend the lease; False if it was lost (taken over, or the run was cancelled or finished)."""
    expires = timezone.now() + dt.timedelta(seconds=LEASE_SECONDS)
    return bool(TrainingRun.objects.filter(pk=run_id, lease_owner=owner).update(lease_expires_at=expires))


def cancel_requested(run_id: int) -> bool:
    return TrainingRun.objects.filter(pk=run_id, cancel_requested=True).exists()


def save_progress(run_id: int, owner: str, **fields) -> None:
    """Write progress fields, only while `owner` still holds the run."""
    TrainingRun.objects.filter(pk=run_id, lease_owner=owner).update(**fields)


def finish(run_id: int, owner: str, status: str, message: str = "", **fields) -> None:
    """End the run and release its lease (a finished run is never taken up again)."""
    TrainingRun.objects.filter(pk=run_id, lease_owner=owner).update(
        status=status, message=message[:5000], finished_at=timezone.now(), lease_owner="", lease_expires_at=None,
        **fields,
    )  # fmt: skip


def unfinished_started_runs() -> list[TrainingRun]:
    """Runs a worker took up and did not finish: after a worker restart, their tasks are sent again.

    A copy whose run is still held by a live worker waits for the lease and then gives up
    (see webapp.training.tasks), so sending one too many is harmless.
    """
    return list(TrainingRun.objects.filter(status__in=[TrainingRun.Status.RUNNING, TrainingRun.Status.EVALUATING]))
