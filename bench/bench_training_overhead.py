"""Overhead of training through the web app and a Celery worker vs `python -m ml train` directly.

    .venv/bin/python bench/bench_training_overhead.py [--data ../shared/datasets/fer2013.zip] \
        [--arch vgg_fer] [--epochs 2] [--max-steps 40] [--rounds 2]

A fresh state folder (SQLite, media, filesystem broker) in a temporary directory; the
dataset is imported in-process (as the import task would), then each round:

1. web/worker path: `services.launch_run` (what POST /api/training/runs/ calls) sends the
   task to a real Celery worker started by this script; timed from the launch until the run
   is trained and registered (status "evaluating"): queue pick-up, the data written as class
   folders (hard links), ml's loop with the progress callback, lease heartbeats and
   database writes, the best checkpoint copied and registered;
2. direct path: `python -m ml train` as a fresh process on the very folder the run wrote,
   with every TrainConfig field the run used (same data fingerprint, same seed), timed from
   process start to exit (interpreter and torch import included).

Prints both times per round and the overhead (web / direct - 1). Target (issue #7): within 5%.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT / "../shared/datasets/fer2013.zip")
    parser.add_argument("--format", default="class_folders")
    parser.add_argument("--arch", default="vgg_fer")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-steps", type=int, default=40, help="steps per epoch (0 = the whole training set)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="bench-training-"))
    os.environ.update({"FER_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "webapp.settings"})
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    from webapp.config import prepare_local_state

    prepare_local_state()  # what manage.py does first: folders, the generated secret key
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    dataset = import_dataset(args.data, args.format)
    print(f"state folder {var_dir}; dataset {dataset.name}: {dataset.items.count()} items")

    log = var_dir / "worker.log"
    worker = start_worker(log)
    try:
        results = []
        for round_no in range(1, args.rounds + 1):
            run, web_seconds = web_path(dataset, args)
            direct_seconds = direct_path(run, var_dir / f"direct-{round_no}")
            overhead = web_seconds / direct_seconds - 1
            results.append(overhead)
            print(f"round {round_no}: web/worker {web_seconds:.1f} s, python -m ml train {direct_seconds:.1f} s, "
                  f"overhead {overhead:+.1%}", flush=True)  # fmt: skip
        print(f"median overhead over {args.rounds} rounds: {statistics.median(results):+.1%}")
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def import_dataset(path: Path, fmt: str):
    from django.core.files import File

    from webapp.datasets.importing import run_import
    from webapp.datasets.models import Dataset, ImportJob

    dataset = Dataset.objects.create(name=path.stem, format=fmt)
    job = ImportJob(dataset=dataset, source_name=path.name)
    with open(path, "rb") as handle:
        job.source.save(path.name, File(handle), save=False)
    job.save()
    run_import(job.pk)
    return dataset


def start_worker(log: Path) -> subprocess.Popen:
    command = [BIN / "celery", "-A", "worker.celery_app", "worker", "-Q", "cpu,gpu", "-c", "1", "-n",
               f"bench-{os.getpid()}@%h", "--loglevel", "INFO"]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while "ready." not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"worker did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return process


def web_path(dataset, args):
    """Seconds from launch until the run is trained and registered; then waits for its evaluations."""
    from webapp.training import services
    from webapp.training.models import TrainingRun

    config = {"epochs": args.epochs, "batch_size": args.batch_size, "input_size": 48, "channels": 1, "seed": 0}
    if args.max_steps:
        config["max_steps_per_epoch"] = args.max_steps
    started = time.monotonic()
    run = services.launch_run(user=None, name="bench", datasets=[dataset], label_sources=["original"],
                              architecture=args.arch, task="emotion", queue="gpu", config=config)  # fmt: skip
    trained_at = None
    while True:
        run.refresh_from_db()
        if run.status in (TrainingRun.Status.EVALUATING, TrainingRun.Status.DONE) and trained_at is None:
            trained_at = time.monotonic()
        if run.status in TrainingRun.FINISHED:
            break
        time.sleep(0.1)
    if run.status != TrainingRun.Status.DONE:
        raise SystemExit(f"run {run.pk} {run.status}: {run.message}")
    return run, trained_at - started


def direct_path(run, out_dir: Path) -> float:
    """Seconds for `python -m ml train` with the run's exact configuration on the run's data folder."""
    from ml.training import TrainConfig
    from webapp.training.materialize import materialize
    from webapp.training.running import train_config
    from webapp.training.services import run_dir

    data = materialize(list(run.datasets.all()), run.label_sources, run_dir(run) / "data")  # reads the summary
    config = train_config(run, data, out_dir)
    config.log_every = TrainConfig.log_every  # the command line's own default
    config.resume = False
    command = [str(BIN / "python"), "-m", "ml", "train", *flags(config)]
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.monotonic() - started


def flags(config) -> list[str]:
    """Command-line flags for every field that differs from TrainConfig's default."""
    from ml.training import TrainConfig

    default = TrainConfig()
    out = []
    for f in fields(TrainConfig):
        value = getattr(config, f.name)
        if value == getattr(default, f.name):
            continue
        flag = "--" + f.name.replace("_", "-")
        if isinstance(value, bool):
            out.append(flag if value else "--no-" + f.name.replace("_", "-"))
        else:
            out += [flag, str(value)]
    return out


if __name__ == "__main__":
    main()
