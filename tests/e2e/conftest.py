"""End-to-end fixtures: the real web server and worker on their own state folder, and
headless Chromium (Debian's) driven by Playwright. No browser is ever downloaded."""

import shutil
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import app_environment, celery_worker, create_demo_admin, migrate, redis_server, web_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium not found: run `make test` (it installs Debian's chromium) or apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


@dataclass(frozen=True)
class LiveApp:
    url: str
    admin_username: str
    admin_password: str
    env: dict  # the environment the app's processes run with (same database and media)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """Web server + worker, as `make up` runs them, on the embedded broker: one stack for every e2e test.

    Tests share its database, so each names what it creates uniquely. The Redis broker gets its own
    stack only where the broker itself is under test (`redis_app`).
    """
    with _live_stack("filesystem", tmp_path_factory) as app:
        yield app


@pytest.fixture(scope="module")
def redis_app(tmp_path_factory):
    """The same stack on a Redis broker (`redis-server` started for it), for the module that asks for it."""
    with _live_stack("redis", tmp_path_factory) as app:
        yield app


@contextmanager
def _live_stack(broker: str, tmp_path_factory):
    var_dir = tmp_path_factory.mktemp(f"app-{broker}")
    with _broker(broker, var_dir) as extra_env:
        env = app_environment(var_dir, **extra_env)
        migrate(env)
        admin = create_demo_admin(env)
        with celery_worker(env, var_dir / "worker.log"), web_server(env, var_dir / "web.log") as url:
            yield LiveApp(url, *admin, env)


def _broker(kind: str, var_dir: Path):
    if kind == "filesystem":
        return nullcontext({})
    if not shutil.which("redis-server"):
        pytest.fail("redis-server not found: run `make test` (it installs Debian's redis-server)")

    @contextmanager
    def with_redis():
        with redis_server(var_dir / "redis.log") as url:
            yield {"REDIS_URL": url}

    return with_redis()
