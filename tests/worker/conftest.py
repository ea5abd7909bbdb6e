"""One real Celery worker for the whole test session, on this run's broker folder and test database.

Booting a worker (Django, the face pipeline's warm-up) costs seconds, so it starts on first use and
stays up; a test that kills it (tests/worker/test_training_task.py) gets a fresh one the next time.
"""

import os
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.processes import celery_worker


def _test_database_path() -> str:
    """The test database's file (pytest-xdist suffixes the configured name with its worker id)."""
    from django.db import connection

    return connection.settings_dict["NAME"]


@pytest.fixture(scope="session")
def worker_env(django_db_setup) -> dict[str, str]:
    """The environment a worker process needs to see the test database and the tests' media folder."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "webapp.settings",
        "DATABASE_URL": f"sqlite:///{_test_database_path()}",
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
