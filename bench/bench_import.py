"""Import time of a real dataset file through the same code the Celery worker runs.

    .venv/bin/python bench/bench_import.py [--file ../shared/datasets/fer2013.zip] [--format class_folders]

Uses a fresh state folder (SQLite + media) in a temporary directory, migrates it,
records the ImportJob as the API would, then times `run_import` (the task body).
Prints records/s and the job's counters. Target (issue #5): fer2013.zip under 2 minutes.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--file", type=Path, default=ROOT / "../shared/datasets/fer2013.zip")
    parser.add_argument("--format", default="class_folders")
    args = parser.parse_args()

    os.environ["FER_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-import-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    import django

    from webapp.config import prepare_local_state

    prepare_local_state()  # what manage.py does first: folders, the generated secret key
    django.setup()
    from django.core.files import File
    from django.core.management import call_command

    from webapp.datasets.importing import run_import
    from webapp.datasets.models import Dataset, ImportJob

    call_command("migrate", verbosity=0)
    dataset = Dataset.objects.create(name=args.file.stem, format=args.format)
    job = ImportJob(dataset=dataset, source_name=args.file.name)
    with open(args.file, "rb") as handle:
        job.source.save(args.file.name, File(handle))

    start = time.perf_counter()
    job = run_import(job.pk)
    elapsed = time.perf_counter() - start
    print(f"{args.file.name}: {job.status} in {elapsed:.1f} s ({job.processed / elapsed:.0f} records/s)")
    print(f"records {job.total}, imported {job.imported}, duplicates {job.duplicates}, errors {job.error_count}")
    for error in job.errors[:5]:
        print(f"  {error['where']}: {error['message']}")


if __name__ == "__main__":
    main()
