"""Write chosen datasets and label sources to disk as class folders, the layout `ml` reads.

    <dest>/<role>/<emotion>/<item id><suffix>     role: train | val | test

Each item's label is the newest one among the chosen sources (so "original + correction"
means: the correction where there is one, else the original). Item splits map to roles by
name (FER2013Train/Training/train → train; FER2013Valid/PublicTest/val → val;
FER2013Test/PrivateTest/test → test). A dataset without a validation split gives a fixed
tenth of its training items (by content hash) to `val`, so every run and every evaluation
of that dataset holds out the same faces.

The folder is written once: a `summary.json` marks it complete, and a resumed run reads the
same files again, so ml's data fingerprint matches and its checkpoint can be resumed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from webapp.datasets.models import Dataset, Item, Label

SUMMARY = "summary.json"
HOLDOUT_MODULUS = 10  # one item in ten goes to val when a dataset has no validation split


class NothingToTrainOn(ValueError):
    """The chosen datasets and label sources leave no labelled item; the message is for the user."""


@dataclass
class Materialized:
    root: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # {role: {emotion: n}}
    unlabelled: int = 0  # items without an emotion label from the chosen sources

    @property
    def roles(self) -> list[str]:
        return [role for role in ("train", "val", "test") if self.counts.get(role)]

    @property
    def held_out_role(self) -> str:
        """The split evaluations report: test if there is one, else val."""
        return "test" if "test" in self.roles else "val"

    def to_dict(self) -> dict:
        return asdict(self)


def split_role(split: str) -> str:
    name = split.lower()
    if "valid" in name or name in ("val", "publictest", "dev"):
        return "val"
    if "test" in name:
        return "test"
    return "train"


def newest_emotions(datasets: list[Dataset], sources: list[str]) -> dict[int, str]:
    """{item id: emotion of its newest label among `sources`}; items without one are left out."""
    labels = (
        Label.objects.filter(item__dataset__in=datasets, source__in=sources, emotion__isnull=False)
        .order_by("item_id", "created_at", "id")
        .values_list("item_id", "emotion")
    )
    return dict(labels.iterator(chunk_size=5000))  # later rows (newer labels) overwrite earlier ones


def materialize(datasets: list[Dataset], sources: list[str], dest: Path) -> Materialized:
    """Write (or, if already complete, read back) the class-folder tree for these datasets."""
    dest = Path(dest)
    if (dest / SUMMARY).is_file():
        return Materialized(**json.loads((dest / SUMMARY).read_text()))
    if dest.exists():
        shutil.rmtree(dest)  # a half-written tree from a worker that died while writing it
    emotions = newest_emotions(datasets, sources)
    items = Item.objects.filter(dataset__in=datasets).order_by("id").values_list("id", "dataset_id", "split", "image")
    has_val = _datasets_with_val(datasets)
    result = Materialized(root=str(dest))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for item_id, dataset_id, split, image_name in items.iterator(chunk_size=5000):
        emotion = emotions.get(item_id)
        if emotion is None:
            result.unlabelled += 1
            continue
        role = split_role(split)
        if role == "train" and dataset_id not in has_val and _held_out(image_name):
            role = "val"
        target = dest / role / emotion / f"{item_id}{Path(image_name).suffix.lower()}"
        _place(Item.image.field.storage.path(image_name), target)
        counts[role][emotion] += 1
    result.counts = {role: dict(sorted(per_class.items())) for role, per_class in counts.items()}
    if not result.counts.get("train"):
        raise NothingToTrainOn(
            f"no item of {', '.join(d.name for d in datasets)} has an emotion label from {', '.join(sources)}"
        )
    (dest / SUMMARY).write_text(json.dumps(result.to_dict(), indent=2))
    return result


def _datasets_with_val(datasets: list[Dataset]) -> set[int]:
    splits = Item.objects.filter(dataset__in=datasets).values_list("dataset_id", "split").distinct()
    return {dataset_id for dataset_id, split in splits if split_role(split) == "val"}


def _held_out(image_name: str) -> bool:
    # Image files are named by their SHA-256, so this choice depends on the pixels only.
    digest = Path(image_name).stem
    try:
        return int(digest[:8], 16) % HOLDOUT_MODULUS == 0
    except ValueError:
        return sum(digest.encode()) % HOLDOUT_MODULUS == 0


def _place(source: str, target: Path) -> None:
    """Hard-link the item's file (no copy on the same disk); copy when linking is not possible."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
