"""The health round trip's task: a worker takes a ping off a queue and answers (`worker.ping`)."""

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
