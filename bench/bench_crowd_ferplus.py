"""Agreement and aggregation on FER+'s real crowd votes (10 taggers per face).

    .venv/bin/python bench/bench_crowd_ferplus.py [--zip ../shared/datasets/ferplus.zip] [--split FER2013Valid]

Prints Fleiss' kappa and Krippendorff's alpha (nominal) over the 10 vote columns (8
emotions + unknown + not-a-face), majority-vote class counts (to compare with the counts
the dataset README publishes) and the time taken. FER+ does not say which tagger gave
which vote, so Dawid-Skene (which models each annotator) is checked on simulated
annotators in tests/ml/crowd instead.
"""

import argparse
import csv
import io
import time
import zipfile
from pathlib import Path

import numpy as np

from ml.crowd import fleiss_kappa, krippendorff_alpha, majority_vote

COLUMNS = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF"]


def read_votes(zip_path: Path, split: str) -> np.ndarray:
    with zipfile.ZipFile(zip_path) as archive:
        text = archive.read(f"ferplus/{split}/label.csv").decode()
    return np.array([[int(v) for v in row[2:12]] for row in csv.reader(io.StringIO(text)) if row], dtype=np.int64)


def votes_to_annotations(counts: np.ndarray):
    """Expand an items x classes count matrix into one (item, label) pair per vote."""
    items = np.repeat(np.arange(len(counts)), counts.sum(axis=1))
    labels = np.concatenate([np.repeat(np.arange(counts.shape[1]), row) for row in counts])
    return items, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--zip", type=Path, default=Path(__file__).resolve().parents[1] / "../shared/datasets/ferplus.zip"
    )
    parser.add_argument("--split", default="FER2013Valid")
    args = parser.parse_args()

    counts = read_votes(args.zip, args.split)
    items, labels = votes_to_annotations(counts)
    print(f"{args.split}: {len(counts)} items, {len(labels)} votes")

    start = time.perf_counter()
    kappa = fleiss_kappa(counts)
    alpha = krippendorff_alpha(items, labels, "nominal")
    majority, tied = majority_vote(counts)
    elapsed = time.perf_counter() - start

    print(f"Fleiss' kappa            {kappa:.4f}")
    print(f"Krippendorff's alpha     {alpha:.4f}")
    print(f"items with a tied top    {int(tied.sum())}")
    print("majority-vote counts     " + ", ".join(f"{n} {int((majority == k).sum())}" for k, n in enumerate(COLUMNS)))
    print(f"all statistics in {elapsed * 1000:.0f} ms")


if __name__ == "__main__":
    main()
