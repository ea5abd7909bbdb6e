"""A fixed, seeded split of an AffectNet-layout CSV by image file, written as two CSVs a run can name.

    .venv/bin/python -m ml.data.file_split /tmp/datasets/diffusionfer_s --out /tmp/dfer_split --fraction 0.2 --seed 0

Why by file: AffectNet-style CSVs may hold several rows (faces) per image, and a face must not
sit on both sides. Files are sorted, then permuted with numpy's seeded generator, so the same
CSV, fraction and seed give the same split on any machine. Written: OUT/train.csv and
OUT/val.csv with the source header, and the images hard-linked (copied across filesystems)
under OUT with the same relative paths, so `python -m ml train --data OUT/train.csv
--val-data OUT/val.csv` and `bench/bench_va_learned.py --data OUT/val.csv` read them.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
from pathlib import Path

import numpy as np

from ml.data.affectnet import find_affectnet_csv, image_prefix, read_rows
from ml.data.source import DatasetError, FileTree


def split_files(files: list[str], fraction: float, seed: int) -> tuple[set[str], set[str]]:
    """(kept, held-out) file names: round(fraction x files) held out, seeded; order of `files` is irrelevant."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    unique = sorted(set(files))
    order = np.random.default_rng(seed).permutation(len(unique))
    n_held = int(round(len(unique) * fraction))
    held = {unique[i] for i in order[:n_held]}
    return set(unique) - held, held


def write_split(source: str, out: str, fraction: float = 0.2, seed: int = 0) -> dict[str, int]:
    """Split the folder's AffectNet CSV by file into OUT/train.csv and OUT/val.csv (images linked); counts."""
    root = Path(source)
    tree = FileTree(root)
    csv_name = find_affectnet_csv(tree)
    if csv_name is None or not root.is_dir():
        raise DatasetError(f"{source}: not a folder holding one AffectNet-layout CSV")
    text = tree.read(csv_name).decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    rows = read_rows(text, csv_name)
    prefix = image_prefix(tree.files(), rows)
    names = [row["subDirectory_filePath"].strip().replace("\\", "/") for _, row in rows]
    kept, held = split_files(names, fraction, seed)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for role, files in (("train", kept), ("val", held)):
        with open(out_dir / f"{role}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=[c.strip() for c in header], extrasaction="ignore")
            writer.writeheader()
            chosen = [row for (_, row), name in zip(rows, names, strict=True) if name in files]
            writer.writerows(chosen)
        counts[role] = len(chosen)
        for name in files:
            _link(root / (prefix + name), out_dir / name)
    return {**counts, "files_train": len(kept), "files_val": len(held)}


def _link(src: Path, dst: Path) -> None:
    if dst.exists() or not src.is_file():
        return  # already there, or missing (the readers count a missing image as unreadable)
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", help="folder holding the AffectNet-layout CSV and its images")
    parser.add_argument("--out", required=True)
    parser.add_argument("--fraction", type=float, default=0.2, help="share of the files held out for validation")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(write_split(args.source, args.out, args.fraction, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
