"""Start the real application processes (Celery worker, web server) for tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_environment(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "FER_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "webapp.settings"}
    env.pop("REDIS_URL", None)
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run([BIN / "python", "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def create_demo_admin(env: dict[str, str]) -> tuple[str, str]:
    """Run the same command as `make up` and read back the credentials it saved."""
    subprocess.run(
        [BIN / "python", "manage.py", "ensure_demo_admin"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    lines = (Path(env["FER_VAR_DIR"]) / "demo_admin.txt").read_text().splitlines()
    return lines[0].removeprefix("username: "), lines[1].removeprefix("password: ")


@contextmanager
def running(command: list, env: dict[str, str], log: Path, ready):
    """Run `command` until the block ends; `ready()` must turn true within 60 s."""
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not ready():
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} not ready after 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def celery_worker(env: dict[str, str], log: Path, queues: str = "cpu,gpu"):
    command = [
        BIN / "celery",
        "-A",
        "worker.celery_app",
        "worker",
        "-Q",
        queues,
        "-c",
        "1",
        "-n",
        f"test-{os.getpid()}@%h",
        "--loglevel",
        "INFO",
    ]
    with running(command, env, log, ready=lambda: _worker_ready(log.read_text())) as process:
        yield process


def _worker_ready(log_text: str) -> bool:
    """Consuming, and its pool process has warmed the prediction pipeline (or said why not).

    Waiting for the warm-up keeps it out of the first test's timings, and out of the way of a test
    whose open transaction holds SQLite's write lock (the warm-up may register the bundled models).
    """
    warmed = "prediction pipeline for" in log_text or "could not warm up" in log_text
    return "ready." in log_text and warmed


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def web_server(env: dict[str, str], log: Path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [BIN / "gunicorn", "webapp.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"]
    with running(command, env, log, ready=lambda: _answers(url + "/accounts/login/")):
        yield url


@contextmanager
def redis_server(log: Path):
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with running(command, os.environ.copy(), log, ready=lambda: "Ready to accept connections" in log.read_text()):
        yield f"redis://127.0.0.1:{port}/0"
