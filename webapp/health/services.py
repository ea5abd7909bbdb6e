"""Health checks of every moving part: web, database, file storage, broker, and a worker per queue.

Each check returns a `Check`; none raises. The worker check is a real round trip: a
`worker.ping` task sent to the queue and its answer awaited.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db import connection

from webapp.core import storage
from webapp.health.tasks import ping
from worker.celery_app import app

# queue -> whether a worker on it is required for the application to work
WORKER_QUEUES = {"cpu": True, "gpu": False}


@dataclass
class Check:
    ok: bool
    message: str
    latency_ms: float | None = None
    required: bool = True
    details: dict = field(default_factory=dict)


def _timed(check):
    def wrapper(*args, **kwargs) -> Check:
        start = time.perf_counter()
        try:
            result = check(*args, **kwargs)
        except Exception as exc:  # a health check reports failures, it never raises them
            result = Check(False, f"{type(exc).__name__}: {exc}")
        result.latency_ms = round((time.perf_counter() - start) * 1000, 1)
        return result

    return wrapper


@_timed
def check_database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return Check(True, f"{connection.vendor} answers", details={"vendor": connection.vendor})


@_timed
def check_storage() -> Check:
    """Stored files' home answers: MEDIA_ROOT is writable, or the S3 bucket exists and the keys open it."""
    where = storage.probe(timeout=settings.APP["BROKER_TIMEOUT_SECONDS"] + 1)
    return Check(True, where, details={"kind": "local" if storage.is_local() else "s3"})


@_timed
def check_broker() -> Check:
    kind = settings.APP["BROKER_KIND"]
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=2)
            conn.default_channel  # noqa: B018 - opening a channel makes Redis answer a command
    except Exception as exc:
        return Check(False, _broker_trouble(exc), details={"kind": kind})
    return Check(True, f"{kind} broker reachable", details={"kind": kind})


def _broker_trouble(exc: Exception) -> str:
    """Why the broker failed, in words: refused (not running) or silent (paused, overloaded)."""
    text = f"{type(exc).__name__}: {exc}"
    if "refused" in text.lower():
        return f"the broker refuses connections (is it running?): {text}"
    if "timeout" in text.lower() or "timed out" in text.lower():
        limit = settings.APP["BROKER_TIMEOUT_SECONDS"]
        return f"the broker did not answer within {limit:g} s (paused or overloaded?): {text}"
    return f"the broker cannot be used: {text}"


def send_pings(queues: list[str]) -> dict:
    """Publish one ping per queue, one after another.

    Sequential on purpose: kombu's filesystem transport guards its files with fcntl
    locks, which do not exclude threads of one process from each other.
    """
    expires = settings.APP["HEALTH_WORKER_TIMEOUT"]
    return {queue: ping.apply_async(args=[time.time()], queue=queue, expires=expires) for queue in queues}


def check_worker(queue: str, async_result, deadline: float, required: bool) -> Check:
    """Wait until `deadline` (time.monotonic) for the worker's answer to a sent ping."""
    from celery.exceptions import TimeoutError as ReplyTimeout

    timeout = settings.APP["HEALTH_WORKER_TIMEOUT"]
    try:
        reply = async_result.get(timeout=max(deadline - time.monotonic(), 0.05), propagate=True)
    except ReplyTimeout:
        return Check(False, f"no worker answered on queue {queue!r} within {timeout:g} s", required=required)
    except Exception as exc:  # the task itself failed on the worker: still a report, not a 500
        return Check(False, f"worker error: {type(exc).__name__}: {exc}", required=required)
    async_result.forget()  # health pings are not worth keeping in the result store
    return Check(True, f"worker {reply['hostname']} answered", required=required, details=reply)


def answering_queues(timeout: float) -> dict[str, bool]:
    """{queue: whether a worker answered a ping on it within `timeout` seconds}; all False without a broker."""
    try:
        sent = send_pings(list(WORKER_QUEUES))
    except Exception:  # broker unreachable: nobody can answer
        return dict.fromkeys(WORKER_QUEUES, False)
    deadline = time.monotonic() + timeout
    return {queue: check_worker(queue, sent[queue], deadline, False).ok for queue in WORKER_QUEUES}


def overall_status(checks: dict[str, Check]) -> str:
    if any(not c.ok and c.required for c in checks.values()):
        return "failing"
    if any(not c.ok for c in checks.values()):
        return "degraded"
    return "ok"


def run_all_checks() -> dict:
    """Run every check and return a JSON-ready report; the worker pings share one deadline."""
    checks: dict[str, Check] = {"web": Check(True, "serving requests", latency_ms=0.0)}
    checks["database"] = check_database()
    checks["storage"] = check_storage()
    checks["broker"] = check_broker()
    if checks["broker"].ok:
        # A CPU worker is required (predictions need it); a GPU worker is optional on one machine.
        start = time.perf_counter()
        deadline = time.monotonic() + settings.APP["HEALTH_WORKER_TIMEOUT"]
        try:
            sent = send_pings(list(WORKER_QUEUES))
        except Exception as exc:  # reachable a moment ago, silent now: say so instead of a 500
            checks["broker"] = Check(False, _broker_trouble(exc), details={"kind": settings.APP["BROKER_KIND"]})
            return _report(checks | _not_tried())
        for queue, required in WORKER_QUEUES.items():  # the waits overlap: one deadline for all
            check = check_worker(queue, sent[queue], deadline, required)
            check.latency_ms = round((time.perf_counter() - start) * 1000, 1)
            checks[f"worker_{queue}"] = check
    else:
        checks |= _not_tried()
    return _report(checks)


def _not_tried() -> dict[str, Check]:
    skipped = "not tried: the broker is unreachable"
    return {"worker_cpu": Check(False, skipped), "worker_gpu": Check(False, skipped, required=False)}


def _report(checks: dict[str, Check]) -> dict:
    return {"status": overall_status(checks), "checks": {name: asdict(c) for name, c in checks.items()}}
