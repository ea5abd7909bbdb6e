"""Test settings: the real settings, with local state in a throw-away folder.

FER_VAR_DIR is set before `webapp.settings` reads it, so tests never touch ./var, and
worker processes started by tests inherit it and share the same broker folder. The process
that made the folder removes it when it exits; the processes that inherit it leave it be.
Under pytest-xdist each test process makes its own folder (FER_VAR_DIR_OWNER says whose it
is), so two processes never share a broker folder or a media folder.
"""

import atexit
import os
import shutil
import tempfile

_owner = os.environ.get("PYTEST_XDIST_WORKER", "main")
if "FER_VAR_DIR" not in os.environ or os.environ.get("FER_VAR_DIR_OWNER") != _owner:
    os.environ["FER_VAR_DIR"] = tempfile.mkdtemp(prefix=f"fer-test-{_owner}-")
    os.environ["FER_VAR_DIR_OWNER"] = _owner
    atexit.register(shutil.rmtree, os.environ["FER_VAR_DIR"], ignore_errors=True)
os.environ.pop("REDIS_URL", None)  # the embedded broker, unless a test asks for Redis

from webapp.config import prepare_local_state  # noqa: E402

prepare_local_state()  # what manage.py and webapp.wsgi do first: the settings themselves only read
from webapp.settings import *  # noqa: E402,F403

# The test database is a file (not SQLite's default in-memory one) so that Celery worker
# processes started by tests can open the same database: see tests/worker/conftest.py.
# (pytest-xdist appends its worker id to the name; `test_database_path()` gives the real one.)
TEST_DATABASE_PATH = CONFIG.var_dir / "test-db.sqlite3"  # noqa: F405
DATABASES["default"]["TEST"] = {"NAME": str(TEST_DATABASE_PATH)}  # noqa: F405

# Django's default PBKDF2 costs ~0.2 s a password by design; tests create hundreds of users.
# Processes the tests start (web server, worker) keep the real hashers.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Privacy and roles: client.login() gives django-axes no request, so lock-outs are off here and
# tests/webapp/test_throttles.py turns them on; throttles are off too (many tests upload
# anonymously from one address) and the throttle tests set their own rates.
AXES_ENABLED = False
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(CONFIG.throttle_rates)}  # noqa: F405
