"""The Celery application. Its settings come from Django's (CELERY_* names).

Queues: `cpu` for predictions and imports, `gpu` for training. The embedded default
worker (`make up`) listens on both; on many machines each worker joins the queues its
hardware suits (see docker-compose.yml).

Tasks live in their Django app (`webapp/<app>/tasks.py`) and are found by autodiscovery when
a worker starts; this module imports nothing of the webapp, so the webapp may import it.
"""

import os
import sys

from celery import Celery, Task
from celery.signals import setup_logging
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

# The local state (folders, generated secret key) is made by the web side's entry points
# (manage.py, which `make up` and docker-compose's migrate service run first); this module
# imports nothing of the webapp, and a worker started before them stops with one line saying so.
try:
    settings.INSTALLED_APPS  # noqa: B018 - reads the settings now: a bad environment variable stops here
except ImproperlyConfigured as exc:  # webapp.config.ConfigError among them
    print(f"Configuration error: {exc}", file=sys.stderr)
    sys.exit(2)

from worker.logs import job_context, job_id  # noqa: E402 - after the settings check above

CPU_QUEUE = "cpu"
GPU_QUEUE = "gpu"


class JobTask(Task):
    """Every task runs inside its job's log context: `<task name>:<first argument>` (the row id)."""

    def __call__(self, *args, **kwargs):
        with job_context(job_id(self.name, args[0] if args else self.request.id)):
            return super().__call__(*args, **kwargs)


@setup_logging.connect
def use_the_sites_logging(**kwargs) -> None:
    """The worker logs through Django's LOGGING (one format, the job on each line), not Celery's own."""
    from logging.config import dictConfig

    dictConfig(settings.LOGGING)


app = Celery("fer", task_cls=JobTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_queues=[Queue(CPU_QUEUE), Queue(GPU_QUEUE)],
    task_default_queue=CPU_QUEUE,
    # Work is acknowledged only when done, so a worker that dies hands it back (Redis: after its
    # visibility timeout; the job sweeper re-sends sooner, and a task's claim makes copies no-ops).
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_track_started=True,
    result_expires=24 * 3600,
    broker_connection_retry_on_startup=True,
    # Publishing waits seconds, never minutes: one quick retry, each try bounded by the broker's
    # socket timeouts (BROKER_TIMEOUT_SECONDS, in webapp/settings.py). A message that cannot be
    # sent leaves its job row pending; the job sweeper (webapp.core.jobs) sends it again.
    task_publish_retry=True,
    task_publish_retry_policy={"max_retries": 1, "interval_start": 0.2, "interval_step": 0.2, "interval_max": 0.5},
)
# Every installed app's tasks.py, imported when the worker starts (Django is set up by then).
app.autodiscover_tasks()
