"""Upload-to-result latency and throughput through the real web server and Celery worker on loopback.

    .venv/bin/python bench/bench_upload.py [--photo tests/fixtures/photos/astronaut.jpg]
        [--latency-runs 30] [--clients 8] [--seconds 60] [--broker filesystem|redis]

Starts the application as scripts/up.sh does (gunicorn with 3 processes, one Celery worker with
concurrency 2 on the cpu and gpu queues) on a fresh state folder, logs in with a DRF token, then:

1. latency: one client uploads the photo (POST /api/uploads/), polls GET /api/uploads/<id>/ every
   20 ms until the job is done, and records the time from the start of the POST to "done"
   (p50, p95 over --latency-runs uploads); the same for the synchronous POST /api/predict/;
2. throughput: --clients threads each upload-and-wait in a loop for --seconds, then the run waits
   for every accepted job and checks that none was lost (accepted, never done) or duplicated
   (an upload predicted more than once, or more Upload rows than accepted POSTs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.processes import BIN, app_environment, free_port, migrate, redis_server, running  # noqa: E402

POLL_SECONDS = 0.02


class Client:
    """A tiny HTTP client with token auth and multipart uploads (no third-party HTTP library needed)."""

    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str | None = None):
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def post_photo(self, path: str, name: str, data: bytes):
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{name}"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request("POST", path, body, f"multipart/form-data; boundary={boundary}")

    def upload_and_wait(self, name: str, data: bytes, timeout: float = 300) -> tuple[float, dict]:
        """Seconds from the start of the POST until the job is done (or failed), and the final upload."""
        start = time.perf_counter()
        status, upload = self.post_photo("/api/uploads/", name, data)
        if status != 202:
            raise RuntimeError(f"upload refused: HTTP {status} {upload}")
        deadline = time.monotonic() + timeout
        while upload["status"] not in ("done", "failed"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"upload {upload['id']} not finished after {timeout} s")
            time.sleep(POLL_SECONDS)
            _, upload = self.request("GET", f"/api/uploads/{upload['id']}/")
        return time.perf_counter() - start, upload


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_latency(client: Client, name: str, data: bytes, runs: int) -> None:
    client.upload_and_wait(name, data)  # the worker loads and warms the pipeline on its first job
    async_ms = [client.upload_and_wait(name, data)[0] * 1000 for _ in range(runs)]
    sync_ms = []
    for _ in range(runs):
        start = time.perf_counter()
        status, body = client.post_photo("/api/predict/", name, data)
        if status != 200:
            raise RuntimeError(f"predict answered HTTP {status}: {body}")
        sync_ms.append((time.perf_counter() - start) * 1000)
    for label, values in (("POST /api/uploads/ + polling", async_ms), ("POST /api/predict/ (synchronous)", sync_ms)):
        print(
            f"latency, {label}: p50 {statistics.median(values):.0f} ms, p95 {percentile(values, 0.95):.0f} ms, "
            f"min {min(values):.0f} ms over {len(values)} uploads"
        )


def measure_throughput(client: Client, name: str, data: bytes, clients: int, seconds: float, env: dict) -> None:
    accepted: list[int] = []
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop():
        while time.monotonic() < stop_at:
            try:
                elapsed, upload = client.upload_and_wait(name, data)
            except Exception as exc:  # counted, not fatal: the report says how many
                with lock:
                    errors.append(str(exc))
                continue
            with lock:
                accepted.append(upload["id"])
                latencies.append(elapsed * 1000)

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    print(
        f"throughput, {clients} clients for {seconds:.0f} s: {len(accepted)} photos done in {elapsed:.1f} s = "
        f"{len(accepted) / elapsed:.2f} photos/s; latency under load p50 {statistics.median(latencies):.0f} ms, "
        f"p95 {percentile(latencies, 0.95):.0f} ms; client errors {len(errors)}"
    )
    check_no_lost_or_duplicated(accepted, env)


def check_no_lost_or_duplicated(accepted: list[int], env: dict) -> None:
    """Compare what the clients saw with the database: every job done once, nothing extra."""
    code = (
        "import json; from webapp.uploads.models import Upload; "
        "rows = list(Upload.objects.values('id', 'status', 'attempts')); "
        "print(json.dumps(rows))"
    )
    out = manage_shell(code, env)
    rows = {row["id"]: row for row in json.loads(out.strip().splitlines()[-1])}
    accepted_set = set(accepted)
    lost = [i for i in accepted_set if rows.get(i, {}).get("status") != "done"]
    duplicated = [i for i, row in rows.items() if row["attempts"] != 1]
    unaccounted = [i for i, row in rows.items() if row["status"] != "done"]
    print(
        f"jobs: {len(accepted_set)} accepted in the run, {len(rows)} rows in all (incl. latency runs), "
        f"lost {len(lost)}, predicted more than once {len(duplicated)}, not done {len(unaccounted)}"
    )
    if lost or duplicated or unaccounted or len(accepted_set) != len(accepted):
        raise SystemExit("FAILED: lost or duplicated jobs")


def manage_shell(code: str, env: dict) -> str:
    command = [BIN / "python", "manage.py", "shell", "-c", code]
    return subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


def create_token(env: dict) -> str:
    code = (
        "from django.contrib.auth import get_user_model; from rest_framework.authtoken.models import Token; "
        "user, _ = get_user_model().objects.get_or_create(username='bench', defaults={'is_staff': True}); "
        "print(Token.objects.get_or_create(user=user)[0].key)"
    )
    out = manage_shell(code, env)
    return out.strip().splitlines()[-1]


def start_app(stack: ExitStack, var_dir: Path, broker: str) -> tuple[str, dict]:
    extra = {}
    if broker == "redis":
        extra["REDIS_URL"] = stack.enter_context(redis_server(var_dir / "redis.log"))
    env = app_environment(var_dir, **extra)
    migrate(env)
    worker = [BIN / "celery", "-A", "worker.celery_app", "worker", "-Q", "cpu,gpu", "--concurrency", "2",
              "-n", f"bench-{os.getpid()}@%h", "--loglevel", "INFO"]  # fmt: skip
    log = var_dir / "worker.log"
    stack.enter_context(running(worker, env, log, ready=lambda: "ready." in log.read_text()))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    threads = "4" if broker == "redis" else "1"  # as scripts/up.sh: the file broker wants one thread a process
    web = [BIN / "gunicorn", "webapp.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "3", "--threads", threads,
           "--timeout", "120"]  # fmt: skip

    def answers() -> bool:
        try:
            with urllib.request.urlopen(url + "/accounts/login/", timeout=1):
                return True
        except OSError:
            return False

    stack.enter_context(running(web, env, var_dir / "web.log", ready=answers))
    return url, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photo", type=Path, default=ROOT / "tests/fixtures/photos/astronaut.jpg")
    parser.add_argument("--latency-runs", type=int, default=30)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--broker", choices=["filesystem", "redis"], default="filesystem")
    args = parser.parse_args()

    data = args.photo.read_bytes()
    var_dir = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    print(f"photo {args.photo.name} ({len(data):,} bytes), broker {args.broker}, state in {var_dir}")
    with ExitStack() as stack:
        url, env = start_app(stack, var_dir, args.broker)
        client = Client(url, create_token(env))
        measure_latency(client, args.photo.name, data, args.latency_runs)
        measure_throughput(client, args.photo.name, data, args.clients, args.seconds, env)


if __name__ == "__main__":
    main()
