"""Celery tasks. Each is small and idempotent; the science lives in `ml`."""

import os
import platform
import socket
import time

from worker.celery_app import app


@app.task(name="worker.ping", time_limit=30, acks_late=False)
def ping(sent_at: float) -> dict:
    """Health round trip: prove a worker took a message off the queue and answered."""
    return {
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "python": platform.python_version(),
        "queue_delay_ms": round((time.time() - sent_at) * 1000, 1),
    }


@app.task(name="datasets.import", time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def import_dataset(job_id: int) -> dict:
    """Import one uploaded dataset file; re-running the same job is safe (see run_import)."""
    from webapp.datasets.importing import run_import

    job = run_import(job_id)
    return {"status": job.status, "imported": job.imported, "duplicates": job.duplicates, "errors": job.error_count}
