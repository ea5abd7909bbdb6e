"""One log format for the web server and the worker, with the job each line belongs to.

Every line reads `2026-12-04 18:30:01,123 INFO webapp.datasets.importing [datasets.import:12] ...`:
the bracket holds the job, `<task name>:<row id>`, or `-` outside any job. `grep '\\[training.run:7\\]'`
over the worker's and the web server's logs then follows one job from its send to its end.

The job is a context variable, so it follows the code that runs for the job (ml's training loop
included) and not a logger: a Celery task sets it when it starts (worker.celery_app.JobTask),
`webapp.core.jobs` while it sends or beats for a job, and services around their own units of work
(a labeling session). `JobFilter` copies it onto each record for the one formatter. This module
imports nothing of Django or the webapp: the settings (LOGGING) and the worker both use it.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

NO_JOB = "-"
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(job)s] %(message)s"

current_job: contextvars.ContextVar[str] = contextvars.ContextVar("current_job", default=NO_JOB)


def job_id(name: str, pk) -> str:
    """The id a job's log lines carry: its task's name and its row's primary key."""
    return f"{name}:{pk}"


@contextmanager
def job_context(job: str) -> Iterator[None]:
    """Every line logged inside the block (in this thread or context) carries `job`."""
    token = current_job.set(job)
    try:
        yield
    finally:
        current_job.reset(token)


class JobFilter(logging.Filter):
    """Puts the current job on the record as `job`, for FORMAT; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.job = current_job.get()
        return True


def logging_config(level: str = "INFO") -> dict:
    """Django's LOGGING, which the worker applies too: one console handler, FORMAT, the job filter."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"job": {"()": JobFilter}},
        "formatters": {"standard": {"format": FORMAT}},
        "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["job"], "formatter": "standard"}},
        "root": {"handlers": ["console"], "level": level},
    }
