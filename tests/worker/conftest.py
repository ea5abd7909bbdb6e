import os
from pathlib import Path

import pytest

from tests.faults import database_url_for_workers
from tests.processes import celery_worker


@pytest.fixture(scope="module")
def worker(tmp_path_factory, django_db_setup, django_db_blocker):
    """A real Celery worker on this test run's broker folder and test database.

    Tests that let it see their rows must commit them: `django_db(transaction=True)`.
    """
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "webapp.settings",
        "DATABASE_URL": database_url_for_workers(),
    }
    log = Path(tmp_path_factory.mktemp("worker")) / "worker.log"
    with celery_worker(env, log) as process:
        process.log = log
        yield process


@pytest.fixture(autouse=True)
def media_root(settings):
    """Keep the media folder that worker processes use too (FER_VAR_DIR/media)."""
    return settings.MEDIA_ROOT
