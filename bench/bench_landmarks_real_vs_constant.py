"""CNN-1DNN (or CNN-3DNN) on FER+ with real 68 landmarks against the learned constant shape, same schedule.

    nice .venv/bin/python bench/bench_landmarks_real_vs_constant.py --data /tmp/datasets/ferplus \\
        --train-items 3000 --val-items 1000 --epochs 6 --size 40 --threads 2

What it does, as the webapp would (docs/datasets.md, "Landmarks of dataset items"):
1. reads a seeded, class-stratified subset of FER+ FER2013Train and FER2013Valid (majority labels,
   unknown / not-a-face dropped) at 48 px;
2. finds the 68 points of every face once with dlib on the whole 48-pixel image
   (ml.faces.crop_landmarks.landmarks_of_crop: the worker's `datasets.landmarks` job does the same);
3. writes both subsets twice as AffectNet CSVs (the layout webapp.training.materialize writes for
   landmark models): once with the points in `facial_landmarks`, once with that column empty;
4. trains the architecture on each with the same config and seed (bf16 autocast where the CPU has
   it), and prints the best validation accuracy of each run as a JSON line, then a summary.

The defaults (2,000 faces, 5 epochs, 40 px) take about 20 minutes on 2 busy CPU cores but are too
short to separate the arms; `--train-items 8000 --val-items 4000 --epochs 8 --size 48` (all of
FER2013Valid) took 30 minutes on 2 lightly loaded cores and does (docs/benchmarks.md). Either
compares the two arms, not the architecture's best.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from ml.data import affectnet, load_faceset  # noqa: E402
from ml.data.faceset import FaceSet  # noqa: E402
from ml.faces.crop_landmarks import landmarks_of_crop  # noqa: E402
from ml.faces.landmarks import create_landmarker  # noqa: E402
from ml.taxonomy import EMOTIONS  # noqa: E402
from ml.training import TrainConfig, train  # noqa: E402


def stratified_subset(faces: FaceSet, count: int, seed: int) -> FaceSet:
    """`count` items drawn without replacement, each class in its own proportion (seeded)."""
    if count >= len(faces):
        return faces
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(faces.labels):
        members = np.flatnonzero(faces.labels == label)
        take = max(1, round(count * len(members) / len(faces)))
        chosen.extend(rng.choice(members, size=min(take, len(members)), replace=False))
    return faces.subset(np.sort(np.array(chosen)))


def find_landmarks(faces: FaceSet) -> tuple[np.ndarray, float]:
    """(N, 68, 2) points of every face and the milliseconds a face took."""
    landmarker = create_landmarker("dlib")
    started = time.perf_counter()
    points = np.stack([landmarks_of_crop(image, landmarker) for image in faces.images])
    return points, (time.perf_counter() - started) * 1000 / len(faces)


def write_affectnet_csv(faces: FaceSet, points: np.ndarray | None, folder: Path, role: str) -> Path:
    """AffectNet's columns over whole 48-pixel images; `facial_landmarks` empty when points is None."""
    (folder / role).mkdir(parents=True, exist_ok=True)
    path = folder / f"{role}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(affectnet.COLUMNS)
        for i, image in enumerate(faces.images):
            name = f"{role}/{i:05d}.png"
            cv2.imwrite(str(folder / name), image)
            marks = "" if points is None else ";".join(f"{v:.2f}" for v in points[i].ravel())
            emotion = EMOTIONS.index(faces.label_set.classes[faces.labels[i]])
            height, width = image.shape[:2]
            writer.writerow([name, 0, 0, width, height, marks, emotion, affectnet.MISSING_VA, affectnet.MISSING_VA])
    return path


def run_arm(name: str, folder: Path, args) -> dict:
    config = TrainConfig(
        arch=args.arch,
        data=str(folder / "train.csv"),
        val_data=str(folder / "val.csv"),
        out_dir=str(folder / "run"),
        input_size=args.size,
        channels=1,
        epochs=args.epochs,
        batch_size=args.batch,
        lr=args.lr,
        va_head=False,
        seed=args.seed,
        amp=not args.fp32,
        patience=args.epochs,
        num_threads=args.threads,
        augment_preset=args.augment,
    )
    started = time.perf_counter()
    result = train(config)
    minutes = (time.perf_counter() - started) / 60
    best = result.best_metrics
    return {
        "arm": name,
        "arch": args.arch,
        "val_accuracy": round(float(best["accuracy"]), 4),
        "macro_f1": round(float(best.get("macro_f1", float("nan"))), 4),
        "best_epoch": best.get("epoch"),
        "minutes": round(minutes, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="/tmp/datasets/ferplus", help="FER+ folder or zip")
    parser.add_argument("--arch", default="cnn_1dnn", choices=("cnn_1dnn", "cnn_3dnn"))
    parser.add_argument("--train-items", type=int, default=3000)
    parser.add_argument("--val-items", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--size", type=int, default=40, help="network input size (points scale with it)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--augment", default="standard", help="augmentation preset (points move with pixels)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fp32", action="store_true", help="no bf16 autocast")
    parser.add_argument("--work", default="/tmp/bench-landmarks", help="scratch folder for the CSVs and runs")
    parser.add_argument("--arms", nargs="+", default=["real", "constant"], choices=("real", "constant"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    train_set = stratified_subset(load_faceset(args.data, "FER2013Train", size=48), args.train_items, args.seed)
    val_set = stratified_subset(load_faceset(args.data, "FER2013Valid", size=48), args.val_items, args.seed)
    train_points, ms_train = find_landmarks(train_set)
    val_points, ms_val = find_landmarks(val_set)
    print(json.dumps({"train_items": len(train_set), "val_items": len(val_set),
                      "landmarks_ms_per_face": round((ms_train + ms_val) / 2, 2)}), flush=True)  # fmt: skip

    rows = []
    for arm in args.arms:
        folder = Path(args.work) / arm
        real = arm == "real"
        write_affectnet_csv(train_set, train_points if real else None, folder, "train")
        write_affectnet_csv(val_set, val_points if real else None, folder, "val")
        rows.append(run_arm(arm, folder, args))
        print(json.dumps(rows[-1]), flush=True)
    summary = {row["arm"]: row["val_accuracy"] for row in rows}
    print(json.dumps({"summary": summary, "epochs": args.epochs, "size": args.size, "threads": args.threads}))


if __name__ == "__main__":
    main()
