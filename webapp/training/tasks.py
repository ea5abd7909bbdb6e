"""The training task (`training.run`). The work itself is in webapp.training.running.

`training.run` is safe to receive twice: it first takes the run's lease (one worker at a
time), does nothing for a finished run, and resumes from the run's last checkpoint. When a
worker starts, it sends the task again for every run left running, because the embedded
filesystem broker loses a message whose worker was killed (Redis would only hand it back
after its visibility timeout); a copy that meets a live lease waits for it and then gives up.
The job sweeper (webapp.core.jobs) also re-sends a run queued too long or whose lease ran out,
and fails one that JOB_MAX_ATTEMPTS workers took up without finishing.
"""

import os
import socket

from celery.signals import worker_ready

from webapp.core import jobs
from worker.celery_app import app

# How often a copy that found the run held comes back to check the lease before giving up.
LEASE_CHECKS = 3


@app.task(name="training.run", bind=True, max_retries=LEASE_CHECKS, time_limit=48 * 3600, soft_time_limit=None)
def train_run(self, run_id: int) -> dict:
    from webapp.training import running, services

    host = socket.gethostname()
    owner = f"{host}:{os.getpid()}:{self.request.id}"
    try:
        run = services.claim(run_id, owner, host, running.device_description())
    except services.LeaseHeld as held:
        if self.request.retries >= LEASE_CHECKS:
            return {"run": run_id, "status": "held elsewhere", "owner": held.owner}
        raise self.retry(countdown=held.seconds_left + 1) from None
    if run is None:
        return {"run": run_id, "status": "already finished"}
    return {"run": run_id, "status": running.execute(run, owner)}


TRAINING = jobs.register(
    jobs.JobKind(
        "training run", "training.TrainingRun", train_run, queue=None, pending="queued",
        running=("running", "evaluating"), heartbeat_field="lease_expires_at", lease=True,
        fail_fields={"lease_owner": "", "lease_expires_at": None},
    )
)  # fmt: skip


@worker_ready.connect
def requeue_unfinished_runs(sender=None, **kwargs) -> None:
    """Send the task again for runs a dead worker left behind (see the module docstring)."""
    from webapp.training import services

    for run in services.unfinished_started_runs():
        services.enqueue(run)
