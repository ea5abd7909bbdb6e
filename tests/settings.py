"""Test settings: the real settings, with local state in a throw-away folder.

FER_VAR_DIR is set before `webapp.settings` reads it, so tests never touch ./var, and
worker processes started by tests inherit it and share the same broker folder. The process
that made the folder (pytest) removes it when it exits; the processes that inherit it leave it be.
"""

import atexit
import os
import shutil
import tempfile

if "FER_VAR_DIR" not in os.environ:
    os.environ["FER_VAR_DIR"] = tempfile.mkdtemp(prefix="fer-test-")
    atexit.register(shutil.rmtree, os.environ["FER_VAR_DIR"], ignore_errors=True)
os.environ.pop("REDIS_URL", None)  # the embedded broker, unless a test asks for Redis

from webapp.settings import *  # noqa: E402,F403

# The test database is a file (not SQLite's default in-memory one) so that Celery worker
# processes started by tests can open the same database: see tests/worker/conftest.py.
TEST_DATABASE_PATH = CONFIG.var_dir / "test-db.sqlite3"  # noqa: F405
DATABASES["default"]["TEST"] = {"NAME": str(TEST_DATABASE_PATH)}  # noqa: F405

# Privacy and roles: client.login() gives django-axes no request, so lock-outs are off here and
# tests/webapp/test_throttles.py turns them on; throttles are off too (many tests upload
# anonymously from one address) and the throttle tests set their own rates.
AXES_ENABLED = False
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(CONFIG.throttle_rates)}  # noqa: F405
