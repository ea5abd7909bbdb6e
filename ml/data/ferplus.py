"""FER+ (Barsoum et al., ICMI 2016): images plus `label.csv` with 10 crowd votes per face.

`label.csv` has no header. Columns: file name, face box "(x, y, w, h)", then vote counts for
neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF (not a face).

Rows are dropped (and counted in `FaceSet.notes`) when the most-voted column is `unknown` or `NF`
(strictly more votes than every emotion), or when no emotion got any vote: such faces carry no
usable emotion label. This is the "remove unknown / not-a-face" rule of the FER+ paper. The
vote distribution over the 8 emotions (unknown/NF votes removed, renormalised) becomes the soft
target; the majority label is its argmax, ties going to the earlier class in FER+ column order.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np

from ml.data.faceset import FaceSet
from ml.data.source import DatasetError, FileTree, decode_image, fit_size
from ml.taxonomy import AFFECTNET8, EMOTION_INDEX, FERPLUS_COLUMNS, canonical_name, ferplus_votes_to_canonical

_BOX = re.compile(r"^\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)$")
# Tie-break order for majority labels: FER+ column order, expressed as canonical indices.
_FERPLUS_ORDER = [EMOTION_INDEX[canonical_name(c)] for c in FERPLUS_COLUMNS[:8]]


@dataclass(frozen=True)
class FerPlusRow:
    """One parsed line of label.csv."""

    file: str
    box: tuple[int, int, int, int]  # x, y, w, h
    votes: tuple[int, ...]  # 10 counts in FERPLUS_COLUMNS order

    @property
    def emotion_votes(self) -> np.ndarray:
        """The 8 emotion vote counts in canonical (AffectNet) order."""
        return ferplus_votes_to_canonical(self.votes)

    @property
    def is_usable(self) -> bool:
        """False when unknown/NF out-vote every emotion or no emotion got a vote."""
        best_emotion = max(self.votes[:8])
        return best_emotion > 0 and best_emotion >= max(self.votes[8:])

    @property
    def agreement(self) -> float:
        """Share of emotion votes that went to the majority emotion (1.0 = unanimous)."""
        v = self.emotion_votes
        return float(v.max() / v.sum()) if v.sum() else 0.0

    def majority(self) -> int:
        """Canonical index of the most-voted emotion (ties: earlier FER+ column)."""
        v = self.emotion_votes
        return max(_FERPLUS_ORDER, key=lambda idx: (v[idx], -_FERPLUS_ORDER.index(idx)))


def parse_row(fields: list[str], where: str = "label.csv") -> FerPlusRow:
    """One label.csv row (file, "(x, y, w, h)", 10 vote counts); DatasetError names `where`."""
    if len(fields) != 12:
        raise DatasetError(f"{where}: expected 12 columns (file, box, 10 vote counts), got {len(fields)}")
    match = _BOX.match(fields[1].strip())
    if not match:
        raise DatasetError(f"{where}: face box {fields[1]!r} is not '(x, y, w, h)'")
    try:
        votes = tuple(int(float(v)) for v in fields[2:])
    except ValueError:
        raise DatasetError(f"{where}: vote counts must be numbers, got {fields[2:]}") from None
    if min(votes) < 0:
        raise DatasetError(f"{where}: vote counts cannot be negative")
    return FerPlusRow(file=fields[0].strip(), box=tuple(int(g) for g in match.groups()), votes=votes)


def parse_label_csv(text: str, source: str = "label.csv") -> list[FerPlusRow]:
    """Parse FER+ label.csv text; raises DatasetError naming the line for malformed rows."""
    rows = [
        parse_row(fields, f"{source}:{line_no}")
        for line_no, fields in enumerate(csv.reader(io.StringIO(text)), start=1)
        if fields and "".join(fields).strip()
    ]
    if not rows:
        raise DatasetError(f"{source} has no rows")
    return rows


def read_ferplus(path: str, split: str | None = None, size: int = 48, channels: int = 1) -> FaceSet:
    """Read one FER+ split (e.g. "FER2013Train") from a folder or zip holding `<split>/label.csv`."""
    tree = FileTree(path)
    folder = _split_folder(tree, split)
    csv_name = str(PurePosixPath(folder) / "label.csv") if folder else "label.csv"
    rows = parse_label_csv(tree.read(csv_name).decode("utf-8"), source=f"{path}/{csv_name}")
    usable = [r for r in rows if r.is_usable]
    if not usable:
        raise DatasetError(f"{path}/{csv_name}: every row is unknown / not-a-face")
    images, votes, labels, names = [], [], [], []
    for row in usable:
        name = str(PurePosixPath(folder) / row.file) if folder else row.file
        image = decode_image(tree.read(name), channels, name)
        x, y, w, h = row.box
        if (x, y, w, h) != (0, 0, image.shape[1], image.shape[0]) and w > 0 and h > 0:
            image = image[y : y + h, x : x + w]
        images.append(fit_size(image, size))
        votes.append(row.emotion_votes)
        labels.append(row.majority())
        names.append(name)
    votes_arr = np.stack(votes)
    return FaceSet(
        images=np.stack(images),
        labels=np.array(labels, dtype=np.int64),
        label_set=AFFECTNET8,
        names=names,
        source=f"ferplus:{path}:{folder}",
        soft_targets=(votes_arr / votes_arr.sum(axis=1, keepdims=True)).astype(np.float32),
        notes={"rows": len(rows), "dropped_unknown_or_not_face": len(rows) - len(usable)},
    )


def _split_folder(tree: FileTree, split: str | None) -> str:
    if split is None:
        if tree.exists("label.csv"):
            return ""
        found = sorted(f for f in tree.files() if f.endswith("/label.csv"))
        if len(found) == 1:
            return str(PurePosixPath(found[0]).parent)
        raise DatasetError(f"{tree.path}: name a split; label.csv files found: {found or 'none'}")
    folder = tree.find_dir(split)
    if folder is None or not tree.exists(f"{folder}/label.csv"):
        raise DatasetError(f"{tree.path}: no {split}/label.csv (FER+ layout is <split>/label.csv + images)")
    return folder


def is_ferplus(path: str, split: str | None) -> bool:
    """True when the tree holds a FER+ label.csv (under the split folder, if one is named)."""
    tree = FileTree(path)
    if split is None:
        return any(f == "label.csv" or f.endswith("/label.csv") for f in tree.files())
    folder = tree.find_dir(split)
    return folder is not None and tree.exists(f"{folder}/label.csv")
