"""Kill the worker in the middle of a batch of uploads, restart it, and count what was lost or done twice.

    .venv/bin/python bench/bench_faults.py [--uploads 30] [--photo tests/fixtures/photos/astronaut.jpg]
        [--kill-after 10] [--fast]

On a fresh state folder: Redis (append-only file), gunicorn and one Celery worker (concurrency 1),
as in tests/worker/test_faults.py. Submits --uploads photos through POST /api/uploads/, SIGKILLs the
worker and its pool once --kill-after of them are done, starts a new worker, and waits until every
accepted upload is done. Prints:

- lost: accepted uploads not done within 10 minutes of the restart (must be 0);
- duplicated: uploads whose prediction finished more than once, read from both workers' logs (must be 0);
- drain: seconds from the restart until the last upload was done, and how many the killed worker finished.

The job settings are the documented defaults (a dead worker's job is re-sent once its heartbeat is
JOB_STALE_SECONDS old, by a sweep every JOB_SWEEP_SECONDS); --fast uses the test suite's short ones.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.faults import Client, Redis, finished_predictions, kill_tree  # noqa: E402
from tests.processes import BIN, app_environment, celery_worker, migrate, web_server  # noqa: E402

FAST_JOBS = {"JOB_HEARTBEAT_SECONDS": "0.5", "JOB_STALE_SECONDS": "3", "JOB_RESEND_SECONDS": "3",
             "JOB_SWEEP_SECONDS": "1"}  # fmt: skip


def create_token(env: dict) -> str:
    code = (
        "from django.contrib.auth import get_user_model; from rest_framework.authtoken.models import Token; "
        "user, _ = get_user_model().objects.get_or_create(username='bench', defaults={'is_staff': True}); "
        "print(Token.objects.get_or_create(user=user)[0].key)"
    )
    command = [BIN / "python", "manage.py", "shell", "-c", code]
    out = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def statuses(client: Client, ids: list[int]) -> dict[int, str]:
    return {pk: client.get(f"/api/uploads/{pk}/")[1].get("status", "?") for pk in ids}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uploads", type=int, default=30)
    parser.add_argument("--photo", type=Path, default=ROOT / "tests/fixtures/photos/astronaut.jpg")
    parser.add_argument("--kill-after", type=int, default=None, help="done uploads before the kill (default: a third)")
    parser.add_argument("--fast", action="store_true", help="short job timings (heartbeat 0.5 s, stale after 3 s)")
    args = parser.parse_args()
    kill_after = args.kill_after if args.kill_after is not None else max(1, args.uploads // 3)

    var_dir = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    redis = Redis(var_dir / "redis")
    redis.start()
    try:
        env = app_environment(var_dir, REDIS_URL=redis.url, **(FAST_JOBS if args.fast else {}))
        migrate(env)
        client_token = create_token(env)
        with web_server(env, var_dir / "web.log") as url:
            run(Client(url, client_token), env, var_dir, args, kill_after)
    finally:
        redis.stop()
    print(f"logs in {var_dir}")


def run(client: Client, env: dict, var_dir: Path, args, kill_after: int) -> None:
    photo = args.photo.read_bytes()
    first_log, second_log = var_dir / "worker-1.log", var_dir / "worker-2.log"
    with celery_worker(env, first_log) as first:
        answers = [
            client.post_files("/api/uploads/", {}, {"image": (args.photo.name, photo)}) for _ in range(args.uploads)
        ]
        accepted = [body["id"] for status, body, _ in answers if status == 202]
        print(f"submitted {args.uploads}, accepted {len(accepted)}")
        while sum(s == "done" for s in statuses(client, accepted).values()) < kill_after:
            time.sleep(0.2)
        kill_tree(first)
    before = statuses(client, accepted)
    counts = {state: sum(s == state for s in before.values()) for state in ("done", "running", "pending")}
    print("killed the worker (SIGKILL) with {done} done, {running} running, {pending} pending".format(**counts))

    with celery_worker(env, second_log):
        restarted = time.monotonic()
        deadline = restarted + 600
        while time.monotonic() < deadline:
            now = statuses(client, accepted)
            if all(s in ("done", "failed") for s in now.values()):
                break
            time.sleep(0.5)
        drain = time.monotonic() - restarted
    finished = finished_predictions(first_log, second_log)
    lost = [pk for pk, s in now.items() if s != "done"]
    duplicated = [pk for pk in accepted if finished[pk] > 1]
    print(f"lost: {len(lost)} {lost or ''}")
    print(f"duplicated: {len(duplicated)} {duplicated or ''}")
    print(f"drain after restart: {drain:.1f} s for {sum(s != 'done' for s in before.values())} unfinished uploads")


if __name__ == "__main__":
    main()
