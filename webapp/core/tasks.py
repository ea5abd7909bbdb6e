"""The job sweeper's home in the worker: a thread started when a worker is ready.

Why a thread in each worker and not Celery beat: beat is one more process to run (and to run
exactly once across machines), and it needs a broker to deliver its ticks, which is the very
thing that may be failing. A thread sweeps even while the broker is down (its re-sends then
fail and are tried again), needs no schedule file, and several workers sweeping at once is
harmless because each re-send is a conditional UPDATE (see webapp.core.jobs.sweep).
"""

import logging
import threading

from celery.signals import worker_ready, worker_shutdown

from webapp.core import jobs

log = logging.getLogger(__name__)
_stop = threading.Event()


@worker_ready.connect
def start_sweeper(sender=None, **kwargs) -> None:
    """Sweep at once (what a dead worker left behind) and then every JOB_SWEEP_SECONDS."""
    _stop.clear()
    threading.Thread(target=jobs.sweep_forever, args=(_stop,), name="job-sweeper", daemon=True).start()
    log.info("job sweeper started for: %s", ", ".join(sorted(jobs.KINDS)))


@worker_shutdown.connect
def stop_sweeper(sender=None, **kwargs) -> None:
    _stop.set()
