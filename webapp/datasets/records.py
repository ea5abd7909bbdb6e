"""Reading an uploaded dataset file into `Record`s, one per image, whatever its format.

A reader checks the file's overall shape first (raising `ArchiveError` / `FormatError`
before anything is imported), then yields records lazily. A record that cannot be read
carries its error instead of stopping the rest.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image

from ml.data import ferplus
from ml.data.fer2013_csv import parse_pixels
from ml.data.source import DatasetError
from ml.taxonomy import EMOTIONS, UnknownLabelError, canonical_name, fer2013_code_to_name
from webapp.datasets.archive import SafeZip

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}
SPLIT_NAMES = {
    "train": "train", "training": "train", "fer2013train": "train",
    "val": "val", "valid": "val", "validation": "val", "publictest": "val", "fer2013valid": "val",
    "test": "test", "privatetest": "test", "fer2013test": "test",
}  # fmt: skip


class FormatError(ValueError):
    """The file is not in the format the import asked for; nothing was imported."""


@dataclass
class Record:
    where: str  # path in the archive or "row N": shown next to any error
    split: str = "train"
    image: bytes | None = None
    suffix: str = ".png"
    emotion: str | None = None
    votes: dict[str, int] | None = None
    error: str | None = None


def split_name(folder: str) -> str | None:
    return SPLIT_NAMES.get(folder.strip().lower())


# ---- class folders: [root/][split/]class/image ----------------------------------------------


def class_folder_records(archive: SafeZip) -> Iterator[Record]:
    for info in archive.files():
        path = PurePosixPath(info.filename)
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        record = Record(where=info.filename, suffix=path.suffix.lower())
        parents = path.parts[:-1]
        if not parents:
            yield _failed(record, "images must sit in a folder named after their class")
            continue
        record.split = (split_name(parents[-2]) if len(parents) >= 2 else None) or "train"
        try:
            record.emotion = canonical_name(parents[-1])
            record.image = archive.read(info)
        except (UnknownLabelError, ValueError) as exc:
            yield _failed(record, str(exc))
            continue
        yield record


def count_class_folder_records(archive: SafeZip) -> int:
    return sum(PurePosixPath(i.filename).suffix.lower() in IMAGE_SUFFIXES for i in archive.files())


# ---- FER+: <split folder>/label.csv + images beside it -------------------------------------------


def _ferplus_label_files(archive: SafeZip):
    label_files = [i for i in archive.files() if PurePosixPath(i.filename).name == "label.csv"]
    if not label_files:
        raise FormatError("no label.csv found: FER+ archives hold FER2013Train/label.csv and its images")
    return label_files


def count_ferplus_records(archive: SafeZip) -> int:
    return sum(len(_csv_rows(archive.read(info))) for info in _ferplus_label_files(archive))


def ferplus_records(archive: SafeZip) -> Iterator[Record]:
    members = {i.filename: i for i in archive.files()}
    for label_info in _ferplus_label_files(archive):
        folder = PurePosixPath(label_info.filename).parent
        split = split_name(folder.name) or "train"
        for number, row in enumerate(_csv_rows(archive.read(label_info)), start=1):
            record = Record(where=f"{label_info.filename} row {number}", split=split)
            try:
                record.votes, record.emotion = _ferplus_votes(row, record.where)
                name = str(folder / row[0].strip()) if str(folder) != "." else row[0].strip()
                if name not in members:
                    raise ValueError(f"image {row[0].strip()!r} is not in the archive")
                record.where, record.suffix = name, PurePosixPath(name).suffix.lower()
                record.image = archive.read(members[name])
            except ValueError as exc:
                yield _failed(record, str(exc))
                continue
            yield record


def _ferplus_votes(row: list[str], where: str) -> tuple[dict[str, int], str | None]:
    """FER+ row -> votes per canonical emotion (+ unknown, not_face) and its majority emotion.

    The same parsing and majority rule as training (ml.data.ferplus): a row whose top vote
    is "unknown"/"not a face", or with no emotion vote, gets no emotion; ties go to the
    earlier FER+ column.
    """
    try:
        parsed = ferplus.parse_row(row, where)
    except DatasetError as exc:
        raise ValueError(str(exc).removeprefix(f"{where}: ")) from None
    votes = {e: int(n) for e, n in zip(EMOTIONS, parsed.emotion_votes, strict=True)}
    votes["unknown"], votes["not_face"] = parsed.votes[-2], parsed.votes[-1]
    return votes, (EMOTIONS[parsed.majority()] if parsed.is_usable else None)


# ---- FER-2013 CSV: emotion,pixels,Usage ---------------------------------------------------------

FER2013_COLUMNS = ("emotion", "pixels")


def _fer2013_rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    rows = _csv_rows(data)
    if not rows:
        raise FormatError("the CSV file is empty")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in FER2013_COLUMNS if c not in header]
    if missing:
        raise FormatError(f"FER-2013 CSV needs columns emotion, pixels (and optionally Usage); missing {missing}")
    return header, rows[1:]


def count_fer2013_records(data: bytes) -> int:
    return len(_fer2013_rows(data)[1])


def fer2013_records(data: bytes) -> Iterator[Record]:
    header, rows = _fer2013_rows(data)
    column = {name: header.index(name) for name in header}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        record = Record(where=f"row {number}")
        if len(row) < len(header):
            yield _failed(record, f"row has too few columns ({len(row)} of {len(header)})")
            continue
        try:
            record.emotion = fer2013_code_to_name(row[column["emotion"]])
            if "Usage" in column:
                usage = row[column["Usage"]]
                record.split = split_name(usage)
                if record.split is None:
                    raise ValueError(f"unknown Usage {usage!r}; expected Training, PublicTest or PrivateTest")
            record.image = _pixels_to_png(row[column["pixels"]])
        except ValueError as exc:
            yield _failed(record, str(exc))
            continue
        yield record


def _pixels_to_png(pixels: str) -> bytes:
    try:
        image = parse_pixels(pixels)
    except DatasetError as exc:
        raise ValueError(str(exc).removeprefix("row: ")) from None
    buffer = io.BytesIO()
    Image.fromarray(image, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


# ---- shared -----------------------------------------------------------------------------------


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError("the CSV file is not UTF-8 text") from None
    return [row for row in csv.reader(io.StringIO(text)) if row]


def _failed(record: Record, message: str) -> Record:
    record.error, record.image = message, None
    return record


def is_zip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PK\x03\x04"
