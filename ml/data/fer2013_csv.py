"""The original FER-2013 CSV (Kaggle icml_face_data): columns emotion, pixels, Usage."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from ml.data.faceset import FaceSet
from ml.data.source import DatasetError, fit_size
from ml.taxonomy import FER2013_7, fer2013_code_to_name

REQUIRED_COLUMNS = ("emotion", "pixels")
USAGES = ("Training", "PublicTest", "PrivateTest")


def parse_pixels(text: str, where: str = "row") -> np.ndarray:
    """A row's `pixels` field: 2304 space-separated values 0..255 -> a 48x48 uint8 image."""
    try:
        pixels = np.array([int(v) for v in text.split()], dtype=np.int64)
    except ValueError:
        raise DatasetError(f"{where}: pixels must be space-separated whole numbers") from None
    if pixels.size != 48 * 48:
        raise DatasetError(f"{where}: expected 2304 pixel values, got {pixels.size}")
    if pixels.min() < 0 or pixels.max() > 255:
        raise DatasetError(f"{where}: pixel values must lie in 0..255")
    return pixels.reshape(48, 48).astype(np.uint8)


def read_fer2013_csv(path: str, usage: str | None = "Training", size: int = 48, channels: int = 1) -> FaceSet:
    """Rows of one Usage (None = all) as a 7-class FaceSet; pixels are 2304 space-separated values."""
    file = Path(path)
    if not file.is_file():
        raise DatasetError(f"FER-2013 CSV not found: {file}")
    if usage is not None and usage not in USAGES:
        raise DatasetError(f"unknown FER-2013 Usage {usage!r}; expected one of {USAGES}")
    reader = csv.DictReader(io.StringIO(file.read_text()), skipinitialspace=True)
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise DatasetError(f"{file}: missing column(s) {missing}; found {columns}, expected emotion, pixels, Usage")
    if usage is not None and "Usage" not in columns:
        raise DatasetError(f"{file}: no Usage column to select {usage!r}; pass usage=None to read all rows")
    images, labels, names = [], [], []
    for row_no, row in enumerate(reader, start=2):
        row = {k.strip(): v for k, v in row.items() if k}
        if usage is not None and row["Usage"].strip() != usage:
            continue
        image = fit_size(parse_pixels(row["pixels"], f"{file}:{row_no}"), size)
        images.append(image if channels == 1 else np.repeat(image[..., None], 3, axis=2))
        labels.append(FER2013_7.index(fer2013_code_to_name(row["emotion"])))
        names.append(f"{file.name}:{row_no}")
    if not images:
        raise DatasetError(f"{file}: no rows with Usage {usage!r}")
    return FaceSet(
        images=np.stack(images),
        labels=np.array(labels, dtype=np.int64),
        label_set=FER2013_7,
        names=names,
        source=f"fer2013csv:{path}:{usage}",
    )
