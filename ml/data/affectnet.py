"""AffectNet (Mollahosseini et al., 2017): a CSV of face boxes, 68 landmarks, expression and V/A.

Columns (training.csv / validation.csv of the manually annotated set):
subDirectory_filePath, face_x, face_y, face_width, face_height, facial_landmarks, expression,
valence, arousal. `facial_landmarks` is "x1;y1;x2;y2;..." (68 points, image pixels).
`expression`: 0 neutral, 1 happy, 2 sad, 3 surprise, 4 fear, 5 disgust, 6 anger, 7 contempt,
8 none, 9 uncertain, 10 non-face. Valence and arousal lie in [-1, 1]; -2 means "not annotated".

Many users' own exports (DiffusionFER's `dataset_sheet.csv`, for one) keep only
subDirectory_filePath, valence, arousal and expression: without the face-box columns the whole
image is the face; without landmarks none are stored; without an expression column (or with an
empty cell) a row carries V/A only. A file needs subDirectory_filePath and either expression or
both valence and arousal.

`parse_row` is the one row parser: training (`read_affectnet`) and the web import both use it.
Rows without an emotion (codes 8-10, or none given) are kept when they carry valence and arousal,
with label -1, for V/A tasks (the emotion tasks leave them out); others are dropped. `FaceSet.notes`
counts both.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from ml.data.faceset import FaceSet
from ml.data.source import DatasetError, FileTree, decode_image, fit_size
from ml.taxonomy import AFFECTNET8, EMOTIONS

COLUMNS = (
    "subDirectory_filePath", "face_x", "face_y", "face_width", "face_height",
    "facial_landmarks", "expression", "valence", "arousal",
)  # fmt: skip
BOX_COLUMNS = ("face_x", "face_y", "face_width", "face_height")  # optional: absent = the whole image is the face
REQUIRED_COLUMNS = ("subDirectory_filePath",)  # and "expression" or both "valence" and "arousal"
# AffectNet's codes 0-7 are the canonical classes in the canonical order; 8-10 are not emotions.
NON_EMOTIONS = {8: "none", 9: "uncertain", 10: "non-face"}
MISSING_VA = -2.0
LANDMARKS = 68


@dataclass(frozen=True)
class AffectNetRow:
    """One parsed CSV row; coordinates are pixels of the full image."""

    file: str
    box: tuple[int, int, int, int] | None  # x, y, w, h; None = the whole image is the face
    expression: int | None  # None when the file has no expression column or the cell is empty
    landmarks: np.ndarray | None  # (68, 2) float32, or None when the row has none
    valence: float | None
    arousal: float | None

    @property
    def emotion(self) -> str | None:
        """The canonical emotion, or None for none / uncertain / non-face."""
        if self.expression is None:
            return None
        return EMOTIONS[self.expression] if self.expression < len(EMOTIONS) else None

    @property
    def expression_name(self) -> str:
        if self.expression is None:
            return "no expression given"
        return self.emotion or NON_EMOTIONS[self.expression]

    @property
    def has_va(self) -> bool:
        return self.valence is not None and self.arousal is not None

    def crop_box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The face box clipped to an image of width x height (the whole image without a box);
        DatasetError if nothing is left."""
        if self.box is None:
            return 0, 0, width, height
        x, y, w, h = self.box
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
        if x1 - x0 < 2 or y1 - y0 < 2:
            raise DatasetError(f"face box {self.box} lies outside the {width}x{height} image")
        return x0, y0, x1 - x0, y1 - y0


def check_columns(columns: list[str], where: str) -> None:
    if not is_affectnet_header(columns):
        raise DatasetError(
            f"{where}: not an AffectNet CSV: it needs subDirectory_filePath and expression or valence and "
            f"arousal; found {columns}; AffectNet's full layout is {list(COLUMNS)}"
        )


def is_affectnet_header(columns: list[str]) -> bool:
    """AffectNet's layout, full or cut down: the image path plus an expression or V/A to learn from."""
    has_target = "expression" in columns or ("valence" in columns and "arousal" in columns)
    return all(c in columns for c in REQUIRED_COLUMNS) and has_target


def parse_row(row: dict[str, str], where: str = "row") -> AffectNetRow:
    """One CSV row (as a dict of column -> text) -> AffectNetRow; DatasetError names `where`."""
    file = (row.get("subDirectory_filePath") or "").strip().replace("\\", "/")
    if not file:
        raise DatasetError(f"{where}: subDirectory_filePath is empty")
    box = _box(row, where)
    expression = None
    if (row.get("expression") or "").strip():
        expression = _number(row, "expression", where, integer=True)
        if not 0 <= expression <= 10:
            raise DatasetError(f"{where}: expression must be 0..10, got {expression}")
    valence, arousal = (_va(row, name, where) for name in ("valence", "arousal"))
    return AffectNetRow(
        file=file,
        box=box,
        expression=expression,
        landmarks=_landmarks(row.get("facial_landmarks") or "", where),
        valence=valence,
        arousal=arousal,
    )


def _box(row: dict[str, str], where: str) -> tuple[int, int, int, int] | None:
    """The face box, or None when the row gives none (no box columns, or all four cells empty)."""
    given = [bool((row.get(c) or "").strip()) for c in BOX_COLUMNS]
    if not any(given):
        return None
    if not all(given):
        raise DatasetError(f"{where}: the face box needs all of {list(BOX_COLUMNS)} or none of them")
    box = tuple(_number(row, c, where, integer=True) for c in BOX_COLUMNS)
    if box[2] <= 0 or box[3] <= 0:
        raise DatasetError(f"{where}: face_width and face_height must be positive, got {box[2]}x{box[3]}")
    return box


def _number(row: dict[str, str], column: str, where: str, integer: bool = False) -> float:
    text = (row.get(column) or "").strip()
    try:
        value = float(text)
    except ValueError:
        raise DatasetError(f"{where}: {column} must be a number, got {text!r}") from None
    if not np.isfinite(value):
        raise DatasetError(f"{where}: {column} must be finite, got {text!r}")
    if integer:
        if value != int(value):
            raise DatasetError(f"{where}: {column} must be a whole number, got {text!r}")
        return int(value)
    return value


def _va(row: dict[str, str], column: str, where: str) -> float | None:
    if not (row.get(column) or "").strip():
        return None
    value = _number(row, column, where)
    if value == MISSING_VA:
        return None
    if not -1.0 <= value <= 1.0:
        raise DatasetError(f"{where}: {column} must lie in [-1, 1] (or -2 for missing), got {value}")
    return value


def _landmarks(text: str, where: str) -> np.ndarray | None:
    text = text.strip()
    if not text:
        return None
    try:
        values = np.array([float(v) for v in text.split(";") if v.strip()], dtype=np.float32)
    except ValueError:
        raise DatasetError(f"{where}: facial_landmarks must be 'x;y;...' numbers") from None
    if values.size != 2 * LANDMARKS:
        raise DatasetError(f"{where}: facial_landmarks needs {2 * LANDMARKS} numbers (68 points), got {values.size}")
    return values.reshape(LANDMARKS, 2)


def crop_face(image: np.ndarray, row: AffectNetRow) -> tuple[np.ndarray, np.ndarray | None]:
    """The face crop and its landmarks moved into crop coordinates (None without landmarks)."""
    x, y, w, h = row.crop_box(image.shape[1], image.shape[0])
    crop = image[y : y + h, x : x + w]
    landmarks = None if row.landmarks is None else row.landmarks - np.array([x, y], dtype=np.float32)
    return crop, landmarks


def read_rows(text: str, source: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, row dict) for every non-empty row after checking the header."""
    reader = csv.DictReader(io.StringIO(text), skipinitialspace=True)
    check_columns([c.strip() for c in reader.fieldnames or []], source)
    return [
        (line_no, {k.strip(): v for k, v in row.items() if k})
        for line_no, row in enumerate(reader, start=2)
        if any((v or "").strip() for v in row.values() if isinstance(v, str))
    ]


def read_affectnet(path: str, images: str | None = None, size: int = 96, channels: int = 3) -> FaceSet:
    """AffectNet CSV + images -> FaceSet of face crops.

    `path` is the CSV (images relative to its folder, or to `images`: a folder or zip), or a
    folder/zip holding one AffectNet CSV and the images. Rows without an emotion (codes 8-10:
    none / uncertain / non-face, or no expression given) are kept with label -1 when they carry
    valence and arousal (for V/A tasks) and dropped otherwise; rows whose image is missing or
    unreadable are dropped; `notes` counts each. Valence/arousal are the annotated values (NaN
    where a row lacks them); landmarks become `keypoints` (N, 68, 2) in pixels of the `size`
    crop (NaN where a row lacks them), or None when no row has any.
    """
    source = Path(path)
    if not source.exists():
        raise DatasetError(f"AffectNet data not found: {source}")
    if source.is_file() and source.suffix.lower() == ".csv":
        tree = FileTree(images or source.parent)
        text, csv_name = source.read_text(encoding="utf-8-sig"), source.name
    else:
        tree = FileTree(images or source)
        csv_name = find_affectnet_csv(tree)
        if csv_name is None:
            raise DatasetError(f"{source}: no CSV with AffectNet's columns (subDirectory_filePath + expression or V/A)")
        text = tree.read(csv_name).decode("utf-8-sig")
    return _read(tree, read_rows(text, csv_name), csv_name, size, channels)


def image_prefix(files: list[str], rows: list[tuple[int, dict[str, str]]]) -> str:
    """The folder the CSV's paths are relative to ("" = the top, "Manually_Annotated_Images/", ...).

    AffectNet's paths ("101/abc.jpg") are relative to its image folder, which sits beside the
    CSV's folder, not under it; the first path found in `files` tells where that folder is.
    """
    for _, row in rows[:50]:
        name = (row.get("subDirectory_filePath") or "").strip().replace("\\", "/")
        if not name:
            continue
        for file in files:
            if file == name or file.endswith("/" + name):
                return file[: len(file) - len(name)]
    return ""


def _read(tree: FileTree, rows: list[tuple[int, dict[str, str]]], csv_name: str, size: int, channels: int) -> FaceSet:
    prefix = image_prefix(tree.files(), rows)
    crops, labels, names, va, keypoints = [], [], [], [], []
    notes = {"rows": len(rows), "dropped_no_emotion": 0, "dropped_unreadable": 0, "va_only": 0}
    for line_no, raw in rows:
        row = parse_row(raw, f"{csv_name}:{line_no}")
        if row.emotion is None and not row.has_va:
            notes["dropped_no_emotion"] += 1
            continue
        try:
            image = decode_image(tree.read(prefix + str(PurePosixPath(row.file))), channels, row.file)
            crop, landmarks = crop_face(image, row)
        except DatasetError:
            notes["dropped_unreadable"] += 1
            continue
        scale = np.array([size / crop.shape[1], size / crop.shape[0]], dtype=np.float32)
        keypoints.append(np.full((LANDMARKS, 2), np.nan, np.float32) if landmarks is None else landmarks * scale)
        crops.append(fit_size(crop, size))
        labels.append(-1 if row.emotion is None else AFFECTNET8.index(row.emotion))
        notes["va_only"] += row.emotion is None
        names.append(row.file)
        va.append([np.nan if row.valence is None else row.valence, np.nan if row.arousal is None else row.arousal])
    if not crops:
        raise DatasetError(f"{tree.path}/{csv_name}: no row with an emotion or valence/arousal and a readable image")
    points = np.stack(keypoints)
    return FaceSet(
        images=np.stack(crops),
        labels=np.array(labels, dtype=np.int64),
        label_set=AFFECTNET8,
        names=names,
        source=f"affectnet:{tree.path}:{csv_name}",
        valence_arousal=np.array(va, dtype=np.float32),
        keypoints=None if np.isnan(points).all() else points,  # no landmarks anywhere: none stored
        notes=notes,
    )


def find_affectnet_csv(tree: FileTree) -> str | None:
    """The one CSV in a folder/zip whose header is AffectNet's (None if there is none)."""
    found = [f for f in tree.files() if f.lower().endswith(".csv") and _header_is_affectnet(tree.read(f))]
    if len(found) > 1:
        raise DatasetError(f"{tree.path}: several AffectNet CSV files {found}; pass the one to read")
    return found[0] if found else None


def _header_is_affectnet(data: bytes) -> bool:
    first_line = data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    return is_affectnet_header([c.strip() for c in next(csv.reader([first_line]), [])])
