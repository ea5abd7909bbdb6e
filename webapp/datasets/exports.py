"""Exporting a dataset in the formats it can be imported from, streamed (nothing built whole in memory).

Each item is exported with its *current* labels: the newest label that says an emotion,
the newest that has votes, V/A, keypoints (a correction or accepted crowd label wins over
the original). Items without what a format needs are left out; the docs say which.
File names inside exports are `item-<id><suffix>`, so rows and images can be matched.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
from PIL import Image

from ml.data import affectnet, facial_keypoints
from ml.taxonomy import EMOTIONS, FERPLUS_COLUMNS, canonical_name
from webapp.datasets.models import Dataset, Item, Label

# FER-2013's codes: 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral (no contempt).
FER2013_CODES = {"anger": 0, "disgust": 1, "fear": 2, "happy": 3, "sad": 4, "surprise": 5, "neutral": 6}
USAGE = {"train": "Training", "val": "PublicTest", "test": "PrivateTest"}
# FER+'s vote columns mapped to the keys Label.votes uses.
FERPLUS_VOTE_KEYS = [
    "not_face" if c == "NF" else c if c == "unknown" else canonical_name(c) for c in FERPLUS_COLUMNS
]  # fmt: skip
BATCH = 500


@dataclass
class CurrentLabels:
    emotion: str | None = None
    votes: dict | None = None
    valence: float | None = None
    arousal: float | None = None
    keypoints: list | None = None


def file_name(item: Item) -> str:
    return f"item-{item.pk}{PurePosixPath(item.image.name).suffix}"


def items_with_labels(dataset: Dataset) -> Iterator[tuple[Item, CurrentLabels]]:
    """Every item (by id, in batches) with its current labels."""
    last_id = 0
    while batch := list(Item.objects.filter(dataset=dataset, id__gt=last_id).order_by("id")[:BATCH]):
        labels: dict[int, CurrentLabels] = {item.pk: CurrentLabels() for item in batch}
        # Oldest first, so each newer label overwrites what it says.
        for label in Label.objects.filter(item__in=batch).order_by("created_at", "id"):
            _merge(labels[label.item_id], label)
        for item in batch:
            yield item, labels[item.pk]
        last_id = batch[-1].pk


def _merge(current: CurrentLabels, label: Label) -> None:
    if label.emotion is not None:
        current.emotion = label.emotion
    if label.votes is not None:
        current.votes = label.votes
    if label.valence is not None:
        current.valence, current.arousal = label.valence, label.arousal
    if label.keypoints is not None:
        current.keypoints = label.keypoints


# ---- CSV formats --------------------------------------------------------------------------------


class _Line:
    """A file-like that hands back what csv.writer wrote, so rows can be streamed."""

    def write(self, text: str) -> str:
        return text


def _csv_stream(header: list[str] | None, rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Line())
    if header:
        yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)


def fer2013_csv(dataset: Dataset) -> Iterator[str]:
    """emotion,pixels,Usage: 48x48 grey pixels; items labelled contempt or with no emotion are left out."""

    def rows():
        for item, labels in items_with_labels(dataset):
            if labels.emotion in FER2013_CODES:
                pixels = " ".join(map(str, _grey_pixels(item, 48).ravel()))
                yield [FER2013_CODES[labels.emotion], pixels, USAGE.get(item.split, "Training")]

    return _csv_stream(["emotion", "pixels", "Usage"], rows())


def ferplus_csv(dataset: Dataset) -> Iterator[str]:
    """FER+'s label.csv (no header): file, "(0, 0, w, h)", 10 vote counts in FER+ column order.

    Items without votes get one vote for their current emotion; items with neither are left out.
    """

    def rows():
        for item, labels in items_with_labels(dataset):
            votes = labels.votes or ({labels.emotion: 1} if labels.emotion else None)
            if votes:
                counts = [int(votes.get(key, 0)) for key in FERPLUS_VOTE_KEYS]
                yield [file_name(item), f"(0, 0, {item.width}, {item.height})", *counts]

    return _csv_stream(None, rows())


def affectnet_csv(dataset: Dataset) -> Iterator[str]:
    """AffectNet's columns; the face box is the whole item image, missing V/A is -2, no emotion is 8 ("none")."""

    def rows():
        for item, labels in items_with_labels(dataset):
            landmarks = ""
            if labels.keypoints and len(labels.keypoints) == affectnet.LANDMARKS and all(labels.keypoints):
                landmarks = ";".join(f"{v:g}" for point in labels.keypoints for v in point)
            expression = EMOTIONS.index(labels.emotion) if labels.emotion else 8
            valence = affectnet.MISSING_VA if labels.valence is None else labels.valence
            arousal = affectnet.MISSING_VA if labels.arousal is None else labels.arousal
            path = f"{item.split}/{file_name(item)}"
            yield [path, 0, 0, item.width, item.height, landmarks, expression, valence, arousal]

    return _csv_stream(list(affectnet.COLUMNS), rows())


def facial_keypoints_csv(dataset: Dataset) -> Iterator[str]:
    """Kaggle's layout: 30 coordinate columns + Image (96x96 grey); points scaled from the item's size.

    Only items whose current keypoints are Kaggle's 15 points; a missing point stays empty.
    """

    def rows():
        for item, labels in items_with_labels(dataset):
            points = labels.keypoints
            if not points or len(points) != len(facial_keypoints.KEYPOINTS):
                continue
            sx, sy = facial_keypoints.IMAGE_SIZE / item.width, facial_keypoints.IMAGE_SIZE / item.height
            cells = [c for p in points for c in (("", "") if p is None else (f"{p[0] * sx:.4g}", f"{p[1] * sy:.4g}"))]
            yield [*cells, " ".join(map(str, _grey_pixels(item, facial_keypoints.IMAGE_SIZE).ravel()))]

    return _csv_stream([*facial_keypoints.COORDINATE_COLUMNS, "Image"], rows())


def _grey_pixels(item: Item, size: int) -> np.ndarray:
    with item.image.open("rb") as handle, Image.open(handle) as image:
        grey = image.convert("L")
        if grey.size != (size, size):
            grey = grey.resize((size, size), Image.Resampling.BILINEAR)
        return np.asarray(grey)


# ---- zip of class folders ----------------------------------------------------------------------


class _ZipSink(io.RawIOBase):
    """An unseekable sink: zipfile writes into it, the stream takes out what was written."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def class_folders_zip(dataset: Dataset) -> Iterator[bytes]:
    """split/class/item-<id>.<ext> for every item with an emotion (the class-folder import reads it back)."""
    sink = _ZipSink()
    # Images are compressed already: storing them is as small and much faster.
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:
        for item, labels in items_with_labels(dataset):
            if not labels.emotion:
                continue
            with item.image.open("rb") as handle:
                archive.writestr(f"{item.split}/{labels.emotion}/{file_name(item)}", handle.read())
            yield sink.take()
    yield sink.take()


EXPORTS = {
    "fer2013.csv": (fer2013_csv, "text/csv"),
    "ferplus-label.csv": (ferplus_csv, "text/csv"),
    "affectnet.csv": (affectnet_csv, "text/csv"),
    "facial-keypoints.csv": (facial_keypoints_csv, "text/csv"),
    "class-folders.zip": (class_folders_zip, "application/zip"),
}
