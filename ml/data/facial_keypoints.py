"""Kaggle's Facial Keypoints Detection CSV: 15 keypoints (30 columns) + `Image` (96x96 pixels).

Columns: `left_eye_center_x`, `left_eye_center_y`, ... (the 15 points below, x then y), then
`Image`: 9216 space-separated grey values 0..255. An empty coordinate means "not annotated"
(most rows of training.csv have only 4 of the 15 points) and becomes NaN. Kaggle's test.csv
(`ImageId`, `Image`, no coordinates) reads too: every keypoint is NaN.

The data has no emotion labels: the FaceSet's labels are all -1 ("no emotion label").
`parse_row` is the one row parser, shared by training and the web import.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.data.faceset import FaceSet
from ml.data.source import DatasetError, fit_size
from ml.taxonomy import AFFECTNET8

KEYPOINTS = (
    "left_eye_center", "right_eye_center", "left_eye_inner_corner", "left_eye_outer_corner",
    "right_eye_inner_corner", "right_eye_outer_corner", "left_eyebrow_inner_end", "left_eyebrow_outer_end",
    "right_eyebrow_inner_end", "right_eyebrow_outer_end", "nose_tip", "mouth_left_corner",
    "mouth_right_corner", "mouth_center_top_lip", "mouth_center_bottom_lip",
)  # fmt: skip
COORDINATE_COLUMNS = tuple(f"{name}_{axis}" for name in KEYPOINTS for axis in ("x", "y"))
IMAGE_SIZE = 96


@dataclass(frozen=True)
class KeypointsRow:
    image: np.ndarray  # (96, 96) uint8
    keypoints: np.ndarray  # (15, 2) float32 pixels of the 96x96 image, NaN where not annotated

    @property
    def annotated(self) -> int:
        return int(np.isfinite(self.keypoints[:, 0]).sum())


def check_columns(columns: list[str], where: str) -> None:
    """The header needs `Image`; coordinate columns, when there are any, must be all 30."""
    if "Image" not in columns:
        raise DatasetError(f"{where}: not a facial-keypoints CSV, no 'Image' column; found {columns[:6]}")
    present = [c for c in COORDINATE_COLUMNS if c in columns]
    if present and len(present) != len(COORDINATE_COLUMNS):
        missing = [c for c in COORDINATE_COLUMNS if c not in columns]
        raise DatasetError(f"{where}: keypoint columns missing: {missing}")


def is_keypoints_header(columns: list[str]) -> bool:
    return "Image" in columns and ("left_eye_center_x" in columns or "ImageId" in columns)


def parse_row(row: dict[str, str], where: str = "row") -> KeypointsRow:
    """One CSV row (column -> text) -> KeypointsRow; DatasetError names `where`."""
    return KeypointsRow(image=parse_image(row.get("Image") or "", where), keypoints=_keypoints(row, where))


def parse_image(text: str, where: str) -> np.ndarray:
    try:
        pixels = np.array([int(v) for v in text.split()], dtype=np.int64)
    except ValueError:
        raise DatasetError(f"{where}: Image must be space-separated whole numbers") from None
    if pixels.size != IMAGE_SIZE * IMAGE_SIZE:
        raise DatasetError(f"{where}: Image needs {IMAGE_SIZE * IMAGE_SIZE} pixel values, got {pixels.size}")
    if pixels.min() < 0 or pixels.max() > 255:
        raise DatasetError(f"{where}: pixel values must lie in 0..255")
    return pixels.reshape(IMAGE_SIZE, IMAGE_SIZE).astype(np.uint8)


def _keypoints(row: dict[str, str], where: str) -> np.ndarray:
    values = np.full(len(COORDINATE_COLUMNS), np.nan, dtype=np.float32)
    for i, column in enumerate(COORDINATE_COLUMNS):
        text = (row.get(column) or "").strip()
        if not text:
            continue
        try:
            value = float(text)
        except ValueError:
            raise DatasetError(f"{where}: {column} must be a number, got {text!r}") from None
        if not 0.0 <= value <= IMAGE_SIZE:
            raise DatasetError(f"{where}: {column} = {value} lies outside the {IMAGE_SIZE}x{IMAGE_SIZE} image")
        values[i] = value
    points = values.reshape(len(KEYPOINTS), 2)
    half = np.isnan(points[:, 0]) != np.isnan(points[:, 1])
    if half.any():
        raise DatasetError(f"{where}: {KEYPOINTS[int(np.argmax(half))]} has only one of x, y")
    return points


def read_rows(text: str, source: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, row dict) for every non-empty row after checking the header."""
    reader = csv.DictReader(io.StringIO(text))
    check_columns([c.strip() for c in reader.fieldnames or []], source)
    return [
        (line_no, {k.strip(): v for k, v in row.items() if k})
        for line_no, row in enumerate(reader, start=2)
        if any((v or "").strip() for v in row.values() if isinstance(v, str))
    ]


def read_facial_keypoints(path: str, size: int = IMAGE_SIZE, channels: int = 1) -> FaceSet:
    """The CSV -> FaceSet with `keypoints` (N, 15, 2) scaled to `size`; labels are -1 (none)."""
    file = Path(path)
    if not file.is_file():
        raise DatasetError(f"facial-keypoints CSV not found: {file}")
    rows = read_rows(file.read_text(encoding="utf-8-sig"), str(file))
    if not rows:
        raise DatasetError(f"{file}: no rows")
    images, keypoints, names = [], [], []
    for line_no, raw in rows:
        parsed = parse_row(raw, f"{file.name}:{line_no}")
        image = fit_size(parsed.image, size)
        images.append(image if channels == 1 else np.repeat(image[..., None], 3, axis=2))
        keypoints.append(parsed.keypoints * (size / IMAGE_SIZE))
        names.append(f"{file.name}:{line_no}")
    return FaceSet(
        images=np.stack(images),
        labels=np.full(len(images), -1, dtype=np.int64),
        label_set=AFFECTNET8,
        names=names,
        source=f"facial_keypoints:{file}",
        keypoints=np.stack(keypoints).astype(np.float32),
        notes={"rows": len(rows), "emotion_labels": False},
    )


def sniff_header(path: str | Path) -> list[str]:
    """The header columns of a CSV file (reads only the first line)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [c.strip() for c in next(csv.reader(handle), [])]
