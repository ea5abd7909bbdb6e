"""The database row is the truth of every background job; the broker only carries a reminder.

Every service sends its task through `send_after_commit`: the row is committed first, then the
message is published with a bounded wait (BROKER_TIMEOUT_SECONDS a try, one retry). If the broker
refuses, the row simply stays pending and the request still answers; the sweeper sends it again.

A task starts by `claim`ing its row with one conditional UPDATE: only a pending row, or a running
row whose heartbeat stopped (its worker died), can be claimed, so a duplicate message is a no-op.
While it works, `heartbeat` keeps the row's `heartbeat_at` fresh from a background thread.

`sweep` (run by every worker at start and every JOB_SWEEP_SECONDS, see webapp.core.tasks) re-sends
jobs pending longer than JOB_RESEND_SECONDS and running jobs silent longer than JOB_STALE_SECONDS;
a job that JOB_MAX_ATTEMPTS workers started without finishing is failed with a message instead.
Several workers may sweep at once: each re-send is itself a conditional UPDATE of `sent_at`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from worker.logs import job_context, job_id

log = logging.getLogger(__name__)

KINDS: dict[str, JobKind] = {}


@dataclass(frozen=True)
class JobKind:
    """One kind of job: its row model, its Celery task and the statuses that mean waiting or working.

    `lease=True` means `heartbeat_field` holds when the worker's lease ends (training runs renew
    theirs, see webapp.training.services) rather than when the worker last spoke.
    """

    name: str
    model_label: str  # "app_label.Model", resolved lazily so tasks.py can declare kinds at import
    task: object  # the Celery task; it is sent with the row's primary key as its one argument
    queue: str | None = None  # None: the row's own `queue` field (training runs)
    pending: str = "pending"
    running: tuple[str, ...] = ("running",)
    failed: str = "failed"
    heartbeat_field: str = "heartbeat_at"
    lease: bool = False
    fail_fields: dict = field(default_factory=dict)  # extra columns set when the sweeper gives up

    @property
    def model(self):
        return apps.get_model(self.model_label)

    def job_id(self, pk: int) -> str:
        """What this job's log lines carry, here and in the worker's task: `<task name>:<pk>`."""
        return job_id(getattr(self.task, "name", self.name), pk)

    def queue_for(self, pk: int) -> str:
        if self.queue is not None:
            return self.queue
        return self.model.objects.filter(pk=pk).values_list("queue", flat=True).first() or "cpu"


def register(kind: JobKind) -> JobKind:
    """Make the sweeper look after this kind of job (each app's tasks.py declares its own)."""
    KINDS[kind.name] = kind
    return kind


def _seconds(name: str) -> dt.timedelta:
    return dt.timedelta(seconds=settings.APP[name])


# ---- sending ------------------------------------------------------------------------------------


def send(kind: JobKind, pk: int) -> bool:
    """Publish the job's task now; False (and the row left as it is) when the broker refused.

    `sent_at` is written before publishing, so a failed send is retried by the sweeper after
    JOB_RESEND_SECONDS, and a successful one records its task id. Logged under the job's id.
    """
    model = kind.model
    with job_context(kind.job_id(pk)):
        model.objects.filter(pk=pk).update(sent_at=timezone.now())
        result = publish(kind.task, pk, queue=kind.queue_for(pk), what=f"{kind.name} {pk} (the sweeper will retry)")
        if result is None:
            return False
        model.objects.filter(pk=pk).update(task_id=result.id)
        log.info("sent %s %s as task %s", kind.name, pk, result.id)
    return True


def publish(task, *args, queue: str, what: str):
    """`task.apply_async` with bounded waits; its AsyncResult, or None (logged) when the broker refused."""
    try:  # the retry policy (one quick retry) and the socket timeouts are set in worker/celery_app.py
        return task.apply_async(args=list(args), queue=queue)
    except Exception as exc:  # any broker failure: the caller's row keeps the job, nothing raises to a request
        log.warning("not sent: %s: %s: %s", what, type(exc).__name__, exc)
        return None


def send_after_commit(kind: JobKind, pk: int) -> None:
    """Send the job once the transaction that created its row commits (at once outside one)."""
    transaction.on_commit(lambda: send(kind, pk))


def was_sent(kind: JobKind, pk: int) -> bool:
    """Whether the last send reached the broker (its task id is recorded)."""
    return kind.model.objects.filter(pk=pk).exclude(task_id="").exists()


# ---- the worker's side --------------------------------------------------------------------------


def _stale(kind: JobKind, now: dt.datetime) -> Q:
    """Running rows whose worker stopped speaking (or never did)."""
    beat = kind.heartbeat_field
    limit = now if kind.lease else now - _seconds("JOB_STALE_SECONDS")
    return Q(status__in=kind.running) & (Q(**{f"{beat}__lt": limit}) | Q(**{f"{beat}__isnull": True}))


def claim(kind: JobKind, pk: int, **fields) -> bool:
    """Take the job for this worker: True if this call did; False for a duplicate, finished or deleted job.

    One UPDATE decides, so two workers that get the same message cannot both start the work.
    """
    now = timezone.now()
    claimable = Q(status=kind.pending) | _stale(kind, now)
    updated = (
        kind.model.objects.filter(pk=pk, attempts__lt=settings.APP["JOB_MAX_ATTEMPTS"])
        .filter(claimable)
        .update(status=kind.running[0], attempts=F("attempts") + 1, **{kind.heartbeat_field: now}, **fields)
    )
    return updated == 1


def beat(kind: JobKind, pk: int) -> bool:
    """Tell the database the job's worker is alive; False when the row is no longer running."""
    rows = kind.model.objects.filter(pk=pk, status__in=kind.running)
    return bool(rows.update(**{kind.heartbeat_field: timezone.now()}))


@contextmanager
def heartbeat(kind: JobKind, pk: int):
    """Beat every JOB_HEARTBEAT_SECONDS from a background thread while the block runs."""
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.wait(settings.APP["JOB_HEARTBEAT_SECONDS"]):
                try:
                    beat(kind, pk)
                except Exception as exc:  # a missed beat is not fatal; the next one may land
                    log.warning("heartbeat of %s %s failed: %s", kind.name, pk, exc)
        finally:
            connection.close()  # this thread's own connection

    # The thread runs in a copy of this context, so its lines carry the job's id too.
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(loop,), name=f"heartbeat-{kind.name}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


# ---- the sweeper --------------------------------------------------------------------------------


@dataclass
class SweepReport:
    resent: list[tuple[str, int]] = field(default_factory=list)
    failed: list[tuple[str, int]] = field(default_factory=list)


def sweep(kinds=None) -> SweepReport:
    """Re-send jobs pending too long or whose worker died; fail those out of attempts."""
    report = SweepReport()
    now = timezone.now()
    for kind in kinds or list(KINDS.values()):
        _fail_exhausted(kind, now, report)
        for pk, sent_at in _due(kind, now):
            # Conditional on the sent_at we read: of several sweeping workers, one re-sends.
            if kind.model.objects.filter(pk=pk, sent_at=sent_at).update(sent_at=now) and send(kind, pk):
                report.resent.append((kind.name, pk))
    if report.resent or report.failed:
        log.info("job sweep: re-sent %s, failed %s", report.resent, report.failed)
    return report


def _due(kind: JobKind, now: dt.datetime) -> list[tuple[int, dt.datetime | None]]:
    resend_before = now - _seconds("JOB_RESEND_SECONDS")
    waiting = Q(status=kind.pending) & (
        Q(sent_at__lt=resend_before) | Q(sent_at__isnull=True, created_at__lt=resend_before)
    )
    # A dead worker's job goes back at once, but not more often than a pending one.
    dead = _stale(kind, now) & (Q(sent_at__isnull=True) | Q(sent_at__lt=now - _seconds("JOB_STALE_SECONDS")))
    return list(kind.model.objects.filter(waiting | dead).order_by("pk").values_list("pk", "sent_at"))


def _fail_exhausted(kind: JobKind, now: dt.datetime, report: SweepReport) -> None:
    limit = settings.APP["JOB_MAX_ATTEMPTS"]
    exhausted = kind.model.objects.filter(_stale(kind, now), attempts__gte=limit)
    for pk in exhausted.values_list("pk", flat=True):
        message = (
            f"gave up after {limit} attempts: each time, the worker running this job stopped "
            "(killed, out of memory or its machine went away) before it finished"
        )
        done = kind.model.objects.filter(_stale(kind, now), pk=pk).update(
            status=kind.failed, message=message, finished_at=now, **kind.fail_fields
        )
        if done:
            report.failed.append((kind.name, pk))


def sweep_forever(stop: threading.Event) -> None:
    """The worker's sweeper thread: a sweep at once, then every JOB_SWEEP_SECONDS until `stop`."""
    while True:
        try:
            close_old_connections()
            sweep()
        except Exception:  # the database may be down for a while; try again next round
            log.exception("job sweep failed")
        finally:
            connection.close()
        if stop.wait(settings.APP["JOB_SWEEP_SECONDS"]):
            return
