"""Time `datasets.predict` (the task body) over a real imported dataset with the active model.

    .venv/bin/python bench/bench_dataset_predict.py [--file ../shared/datasets/fer2013.zip] [--threads 1]

A fresh state folder (SQLite + media) in a temporary directory: migrate, import the file
(class folders, as bench_import.py does), then time `run_prediction` with the bundled
default model on one torch thread, as the worker task runs it. Prints items/s, and the
accuracy of the stored predictions against the items' labels (a check that the crops
reach the classifier correctly, not a model evaluation).
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
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the worker task uses 1)")
    args = parser.parse_args()

    os.environ["FER_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-predict-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    import django

    from webapp.config import prepare_local_state

    prepare_local_state()  # what manage.py does first: folders, the generated secret key
    django.setup()
    import torch
    from django.core.files import File
    from django.core.management import call_command

    from webapp.datasets.importing import run_import
    from webapp.datasets.models import Dataset, ImportJob, ItemPrediction, PredictionJob
    from webapp.datasets.predicting import run_prediction
    from webapp.datasets.selectors import dataset_items
    from webapp.modelzoo.services import active_version

    call_command("migrate", verbosity=0)
    dataset = Dataset.objects.create(name=args.file.stem, format=args.format)
    job = ImportJob(dataset=dataset, source_name=args.file.name)
    with open(args.file, "rb") as handle:
        job.source.save(args.file.name, File(handle))
    start = time.perf_counter()
    job = run_import(job.pk)
    print(f"import: {job.imported} items in {time.perf_counter() - start:.1f} s")

    torch.set_num_threads(args.threads)
    # The job row as start_prediction records it, without sending the task to a broker.
    prediction = PredictionJob.objects.create(dataset=dataset, model_version=active_version())
    start = time.perf_counter()
    prediction = run_prediction(prediction.pk)
    elapsed = time.perf_counter() - start
    print(
        f"predict with {prediction.model_version.tag} on {args.threads} thread(s): {prediction.status}, "
        f"{prediction.processed} items in {elapsed:.1f} s ({prediction.processed / elapsed:.0f} items/s)"
    )
    labels = dict(dataset_items(dataset).values_list("pk", "emotion"))
    stored = ItemPrediction.objects.filter(item__dataset=dataset).values_list("item_id", "emotion")
    right = sum(labels[item] == emotion for item, emotion in stored)
    print(f"predictions stored {len(stored)}, agreeing with the item's label {right / len(stored):.1%}")
    for split in ("train", "val"):
        ids = set(dataset_items(dataset, split=split).values_list("pk", flat=True))
        split_right = sum(labels[i] == e for i, e in stored if i in ids)
        print(f"  {split}: {split_right / max(len(ids), 1):.1%} of {len(ids)}")


if __name__ == "__main__":
    main()
