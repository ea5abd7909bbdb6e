"""Test settings on PostgreSQL: `pytest --ds tests.settings_postgres tests/…`.

The same as tests/settings.py, but the database is a PostgreSQL server started for this pytest
run (tests/postgres.py). The test database is `test_fer` on it; worker processes started by
tests reach it through TEST_DATABASE_URL (see tests/worker/conftest.py).
"""

import os

import dj_database_url

from tests import postgres
from tests.settings import *  # noqa: F403

if postgres.ENV not in os.environ:  # the pytest process; processes it starts inherit the URL
    os.environ[postgres.ENV] = postgres.start()

_url = os.environ[postgres.ENV]
DATABASES = {"default": {**dj_database_url.parse(_url), "TEST": {"NAME": "test_fer"}}}
TEST_DATABASE_URL = _url.rsplit("/", 1)[0] + "/test_fer"
