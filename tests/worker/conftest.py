"""One real Celery worker for the whole test session, on this run's broker folder and test database.

Booting a worker (Django, the face pipeline's warm-up) costs seconds, so it starts on first use and
stays up; a test that kills it (tests/worker/test_training_task.py) gets a fresh one the next time.
"""

import os
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.faults import database_url_for_workers
from tests.processes import celery_worker


@pytest.fixture(scope="session")
def worker_env(django_db_setup) -> dict[str, str]:
    """The environment a worker process needs to see the test database and the tests' media folder."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "webapp.settings",
        "DATABASE_URL": database_url_for_workers(),
    }


class SharedWorker:
    """A worker process started on demand and restarted if a test killed it."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log = env, log
        self._stack = ExitStack()
        self._process = None

    def running(self):
        if self._process is None or self._process.poll() is not None:
            self.stop()
            self._process = self._stack.enter_context(celery_worker(self.env, self.log))
            self._process.log = self.log
        return self._process

    def stop(self) -> None:
        self._stack.close()
        self._process = None


@pytest.fixture(scope="session")
def shared_worker(worker_env, tmp_path_factory):
    shared = SharedWorker(worker_env, Path(tmp_path_factory.mktemp("worker")) / "worker.log")
    yield shared
    shared.stop()


@pytest.fixture
def worker(shared_worker, django_db_blocker):
    """A real Celery worker (a `subprocess.Popen` with `.log`), up before the test starts.

    Tests that let it see their rows must commit them: `django_db(transaction=True)`.
    """
    return shared_worker.running()


@pytest.fixture(autouse=True)
def media_root(settings):
    """Keep the media folder that worker processes use too (FER_VAR_DIR/media)."""
    return settings.MEDIA_ROOT
