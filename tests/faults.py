"""Breaking the real processes on purpose: a Redis that can be stopped, paused and restarted, a
worker killed with SIGKILL, and a small HTTP client for the web server (token auth, multipart).

Used by tests/worker/test_faults.py and bench/bench_faults.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.processes import free_port


class Redis:
    """A redis-server on a fixed port with its append-only file in `folder`: stop it and start it again."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        folder.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)]  # fmt: skip
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 - the process keeps it
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not _redis_answers(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server did not start:\n{(self.folder / 'redis.log').read_text()[-2000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Gone: connections are refused until `start`."""
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # a paused server cannot stop
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None

    @contextmanager
    def paused(self):
        """Frozen (SIGSTOP): connections are accepted by the kernel but nothing answers."""
        self.process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)


def _redis_answers(port: int) -> bool:
    result = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True)
    return result.stdout.strip() == "PONG"


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL a worker and its pool processes, as if its machine died: no clean-up runs."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    for pid in [process.pid, *map(int, children)]:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


class Client:
    """HTTP to the real web server with an API token; answers are (status, JSON body, seconds)."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "", timeout=30):
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        start = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read()
        seconds = time.monotonic() - start
        try:
            data = json.loads(text or b"{}")
        except ValueError:
            data = {"raw": text[:500].decode(errors="replace")}
        return status, data, seconds

    def get(self, path: str, timeout=30):
        return self.request("GET", path, timeout=timeout)

    def post_json(self, path: str, data: dict, timeout=30):
        return self.request("POST", path, json.dumps(data).encode(), "application/json", timeout)

    def post_files(self, path: str, fields: dict, files: dict[str, tuple[str, bytes]], timeout=30):
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, (filename, data) in files.items():
            head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n")  # fmt: skip
            parts.append(head.encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}", timeout)


DONE_RESULT = re.compile(r"Task uploads\.predict\[[^\]]+\] succeeded in [^:]+: \{'upload': (\d+), 'status': 'done'")


def finished_predictions(*logs: Path) -> Counter:
    """{upload id: how many times a worker finished its prediction}, read from worker logs."""
    found = Counter()
    for log in logs:
        if log.exists():
            found.update(int(match) for match in DONE_RESULT.findall(log.read_text()))
    return found


def database_url_for_workers() -> str:
    """The test database, as a DATABASE_URL for the processes a test starts (SQLite file or PostgreSQL)."""
    from django.conf import settings
    from django.db import connection

    # The connection's name, not the settings': pytest-xdist gives each of its processes its own database.
    if getattr(settings, "TEST_DATABASE_URL", None):
        return settings.TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    return f"sqlite:///{connection.settings_dict['NAME']}"


def wait_for(condition, what: str, timeout: float, logs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    tails = "\n".join(f"--- {log}:\n{log.read_text()[-3000:]}" for log in logs if log.exists())
    raise AssertionError(f"{what} not seen after {timeout} s\n{tails}")
