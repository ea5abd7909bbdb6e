"""Reading an uploaded dataset file into `Record`s, one per image, whatever its format.

A reader checks the file's overall shape first (raising `ArchiveError` / `FormatError`
before anything is imported), then yields records lazily. A record that cannot be read
carries its error instead of stopping the rest.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from ml.data import affectnet, facial_keypoints, ferplus
from ml.data.fer2013_csv import parse_pixels
from ml.data.source import DatasetError
from ml.taxonomy import EMOTIONS, UnknownLabelError, canonical_name, fer2013_code_to_name
from webapp.core.images import BadImageError, inspect_image
from webapp.datasets.archive import ArchiveError, SafeZip

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
    valence: float | None = None
    arousal: float | None = None
    keypoints: list[list[float] | None] | None = None  # [x, y] per point in the stored image, None = missing
    error: str | None = None

    @property
    def says_something(self) -> bool:
        """A Label needs at least one of these (the database's label_says_something check)."""
        return any(v is not None for v in (self.emotion, self.votes, self.valence, self.keypoints))


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


# ---- AffectNet: a CSV (subDirectory_filePath, face box, landmarks, expression, V/A) + images ----------


def _affectnet_csv(archive):
    """The archive's one CSV with AffectNet's header (the member); FormatError if none or several."""
    found = []
    for info in archive.files():
        if info.filename.lower().endswith(".csv"):
            try:
                with archive.open_text(info) as handle:
                    header = [c.strip() for c in next(csv.reader(handle), [])]
            except (UnicodeDecodeError, csv.Error):
                continue  # not a text CSV: not the one we look for
            if affectnet.is_affectnet_header(header):
                found.append(info)
    if len(found) != 1:
        names = [i.filename for i in found] or "none"
        raise FormatError(
            "AffectNet imports need exactly one CSV with columns subDirectory_filePath and expression or "
            f"valence and arousal (face box and landmarks optional); found {names}"
        )
    return found[0]


def _affectnet_rows(archive, info) -> Iterator[tuple[int, dict[str, str]]]:
    with archive.open_text(info) as handle:
        yield from _dict_rows(csv.DictReader(handle, skipinitialspace=True))


def count_affectnet_records(archive) -> int:
    return sum(1 for _ in _affectnet_rows(archive, _affectnet_csv(archive)))


def affectnet_records(archive) -> Iterator[Record]:
    """One record per CSV row: the face box cropped out of its image, landmarks moved into the crop."""
    info = _affectnet_csv(archive)
    members = {m.filename: m for m in archive.files()}
    first_rows = list(itertools.islice(_affectnet_rows(archive, info), 50))
    prefix = affectnet.image_prefix(list(members), first_rows)
    source = _SourceImages(archive, members, prefix)
    split = split_name(PurePosixPath(info.filename).stem) or "train"  # training.csv, validation.csv
    for line_no, row in _affectnet_rows(archive, info):
        record = Record(where=f"{info.filename} row {line_no}", split=split)
        try:
            _fill_affectnet(record, affectnet.parse_row(row, record.where), source)
        except (DatasetError, ValueError, ArchiveError) as exc:
            yield _failed(record, str(exc).removeprefix(f"{record.where}: "))
            continue
        yield record


def _fill_affectnet(record: Record, row: affectnet.AffectNetRow, source: _SourceImages) -> None:
    record.emotion, record.valence, record.arousal = row.emotion, row.valence, row.arousal
    if not record.says_something:
        code = "" if row.expression is None else f"expression {row.expression} "
        raise ValueError(f"{code}({row.expression_name}) without valence/arousal: no label")
    image = source.get(row.file)
    x, y, w, h = row.crop_box(*image.size)
    crop = image.crop((x, y, x + w, y + h))
    if crop.mode not in ("L", "RGB"):
        crop = crop.convert("RGB")  # CMYK or palette JPEGs: stored as plain RGB PNG
    if row.landmarks is not None:
        record.keypoints = [[round(float(px) - x, 2), round(float(py) - y, 2)] for px, py in row.landmarks]
    buffer = io.BytesIO()
    crop.save(buffer, format="PNG")
    record.image, record.suffix = buffer.getvalue(), ".png"
    record.where = f"{record.where} ({row.file})"


class _SourceImages:
    """Decodes AffectNet's images one at a time; consecutive rows of one photo share the decode."""

    def __init__(self, archive, members: dict, prefix: str):
        self.archive, self.members, self.prefix = archive, members, prefix
        self.name, self.image = None, None

    def get(self, name: str) -> Image.Image:
        if name != self.name:
            member = self.members.get(self.prefix + name)
            if member is None:
                raise ValueError(f"image {name!r} is not in the archive")
            data = self.archive.read(member)
            try:
                inspect_image(data)
            except BadImageError as exc:
                raise ValueError(f"{name}: {exc}") from None
            self.image = Image.open(io.BytesIO(data))
            self.image.load()
            self.name = name
        return self.image


# ---- facial keypoints: Kaggle's CSV (30 coordinate columns + Image), or a zip holding it ----------


def keypoints_text(open_csv) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a facial-keypoints CSV, checking the header first (FormatError on a wrong file)."""
    with open_csv() as handle:
        reader = csv.DictReader(handle)
        try:
            columns = [c.strip() for c in reader.fieldnames or []]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise FormatError(f"not a readable UTF-8 CSV file: {exc}") from None
        try:
            facial_keypoints.check_columns(columns, "the CSV")
        except DatasetError as exc:
            raise FormatError(str(exc)) from None
        yield from _dict_rows(reader)


def count_keypoints_records(open_csv) -> int:
    return sum(1 for _ in keypoints_text(open_csv))


def keypoints_records(open_csv) -> Iterator[Record]:
    for line_no, row in keypoints_text(open_csv):
        record = Record(where=f"row {line_no}")
        try:
            parsed = facial_keypoints.parse_row(row, record.where)
        except DatasetError as exc:
            yield _failed(record, str(exc).removeprefix(f"{record.where}: "))
            continue
        record.keypoints = [
            None if np.isnan(x) else [round(float(x), 4), round(float(y), 4)] for x, y in parsed.keypoints
        ]
        buffer = io.BytesIO()
        Image.fromarray(parsed.image, mode="L").save(buffer, format="PNG")
        record.image = buffer.getvalue()
        yield record


def _dict_rows(reader: csv.DictReader) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, stripped row dict) for each non-empty row; a file that stops being text is a FormatError."""
    try:
        for line_no, row in enumerate(reader, start=2):
            if any((v or "").strip() for v in row.values() if isinstance(v, str)):
                yield line_no, {k.strip(): v for k, v in row.items() if k}
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FormatError(f"the CSV stops being readable UTF-8 text near line {reader.line_num}: {exc}") from None


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
