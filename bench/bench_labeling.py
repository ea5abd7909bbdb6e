"""Concurrent annotators against the label API on loopback: latency and integrity.

    .venv/bin/python bench/bench_labeling.py --ferplus path/to/ferplus.zip [--annotators 20] [--seconds 60]
        [--labels-per-item 3] [--think 1.0]

Sets up a fresh state folder (SQLite), imports FER+'s valid split (the FER2013Valid folder of
the zip given by --ferplus, or $FER_BENCH_FERPLUS) as the dataset, creates a session and one
annotator account (with an API token) per simulated annotator, starts gunicorn as `make up`
does, and lets every annotator loop next -> submit for the given time, pausing `--think`
seconds between an item appearing and its answer (1 s = a fast annotator at 60 labels/min; 0 = as fast as the machine
answers, a saturation test where latency is mostly queueing). Prints p50/p95/max latency of submit and next, labels
per second, and checks afterwards that no label was lost (every 201 is in the database),
no item went twice to one annotator and no item got more labels than asked. Any HTTP error or
failed request is counted and reported, and makes the script exit with status 1: a figure
measured while requests failed is not a figure.
Target (issue #6): 20 annotators, p95 submit <= 50 ms, no lost or double-assigned labels.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(var_dir: str, ferplus: Path, annotators: int, labels_per_item: int) -> tuple[int, list[str]]:
    os.environ.update(FER_VAR_DIR=var_dir, DJANGO_SETTINGS_MODULE="webapp.settings")
    import django

    from webapp.config import prepare_local_state

    prepare_local_state()  # what manage.py does first: folders, the generated secret key
    django.setup()
    from django.core.files import File
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from webapp.accounts.services import create_annotator
    from webapp.datasets.importing import run_import
    from webapp.datasets.models import Dataset, ImportJob
    from webapp.labeling.services import create_session

    call_command("migrate", verbosity=0)
    dataset = Dataset.objects.create(name="ferplus-valid", format="ferplus")
    job = ImportJob(dataset=dataset, source_name="ferplus.zip")
    with tempfile.TemporaryDirectory() as scratch:
        import zipfile

        source = ferplus
        subset = Path(scratch) / "valid.zip"
        with zipfile.ZipFile(source) as whole, zipfile.ZipFile(subset, "w") as part:
            for name in whole.namelist():
                if "/FER2013Valid/" in name:
                    part.writestr(name, whole.read(name))
        with open(subset, "rb") as handle:
            job.source.save("valid.zip", File(handle))
    run_import(job.pk)
    session = create_session(dataset=dataset, name="bench", labels_per_item=labels_per_item)
    tokens = [Token.objects.create(user=create_annotator(f"bench{i}", "pw-bench-1")).key for i in range(annotators)]
    return session.pk, tokens


def annotate(base: str, session: int, token: str, until: float, think: float, stats: dict, lock) -> None:
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def post(kind, path, body):
        """(status, JSON body) of one request; an HTTP error or a failed connection is counted, not raised."""
        start = time.perf_counter()
        request = urllib.request.Request(base + path, json.dumps(body).encode(), headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                data = response.read()
                status, payload = response.status, (json.loads(data) if data else None)
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, None
        except OSError as exc:  # refused, reset, timed out
            status, payload = f"no answer ({type(exc).__name__})", None
        with lock:
            stats[kind].append(time.perf_counter() - start)
            if not isinstance(status, int) or status >= 400:
                stats["errors"][f"{kind}: {status}"] += 1
        return status, payload

    rng = np.random.default_rng(abs(hash(token)) % 2**32)
    try:
        while time.monotonic() < until:
            status, item = post("next", f"/api/labeling/sessions/{session}/next/", {"holding": []})
            if status == 204:
                return
            if status != 200:
                continue
            time.sleep(think * rng.uniform(0.5, 1.5))  # looking at the face
            answer = {"emotion": ["neutral", "happy", "sad", "surprise"][rng.integers(4)], "duration_ms": 800}
            status, _ = post("submit", f"/api/labeling/assignments/{item['id']}/submit/", answer)
            with lock:
                stats["created"] += status == 201
    except Exception as exc:  # a bug in this script: say so instead of quietly losing an annotator
        with lock:
            stats["errors"][f"annotator thread died: {type(exc).__name__}: {exc}"] += 1


def check_integrity(labels_per_item: int, created: int) -> list[str]:
    from django.db.models import Count

    from webapp.labeling.models import Annotation

    problems = []
    stored = Annotation.objects.count()
    if stored != created:
        problems.append(f"{created} labels acknowledged but {stored} stored")
    twice = Annotation.objects.values("item", "annotator").annotate(n=Count("id")).filter(n__gt=1).count()
    if twice:
        problems.append(f"{twice} items labelled twice by one annotator")
    over = Annotation.objects.values("item").annotate(n=Count("id")).filter(n__gt=labels_per_item).count()
    if over:
        problems.append(f"{over} items with more than {labels_per_item} labels")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--labels-per-item", type=int, default=3)
    parser.add_argument("--think", type=float, default=1.0, help="seconds an annotator looks at a face")
    parser.add_argument("--port", type=int, default=8391)
    parser.add_argument("--ferplus", type=Path, default=os.environ.get("FER_BENCH_FERPLUS"),
                        help="FER+ zip with FER2013Valid/ and label.csv (default: $FER_BENCH_FERPLUS)")  # fmt: skip
    args = parser.parse_args()
    if args.ferplus is None or not Path(args.ferplus).is_file():
        parser.error(f"--ferplus must name the FER+ zip (FER2013Valid/ inside), got {args.ferplus}")

    var_dir = tempfile.mkdtemp(prefix="bench-labeling-")
    session, tokens = setup(var_dir, Path(args.ferplus), args.annotators, args.labels_per_item)
    env = {**os.environ, "FER_VAR_DIR": var_dir}
    server = subprocess.Popen(
        [sys.executable.replace("python", "gunicorn"), "webapp.wsgi", "--bind", f"127.0.0.1:{args.port}",
         "--workers", "2", "--threads", "4", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        stats, lock = {"next": [], "submit": [], "created": 0, "errors": Counter()}, threading.Lock()
        until = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=annotate, args=(base, session, t, until, args.think, stats, lock)) for t in tokens
        ]
        start = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - start
    finally:
        server.terminate()
        server.wait()

    print(
        f"{args.annotators} annotators, {elapsed:.0f} s, {args.labels_per_item} labels per item, think {args.think} s"
    )
    for name in ("submit", "next"):
        ms = np.array(stats[name]) * 1000
        print(f"{name:<7} n={len(ms):>6}  p50 {np.percentile(ms, 50):6.1f} ms  p95 {np.percentile(ms, 95):6.1f} ms"
              f"  max {ms.max():7.1f} ms")  # fmt: skip
    print(f"labels/s {stats['created'] / elapsed:.1f}")
    problems = check_integrity(args.labels_per_item, stats["created"])
    print("integrity: " + ("; ".join(problems) if problems else "no lost, duplicated or over-assigned labels"))
    errors = "; ".join(f"{what} x{count}" for what, count in sorted(stats["errors"].items()))
    print("errors: " + (errors or "none"))
    if problems or errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
