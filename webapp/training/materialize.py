"""Write chosen datasets and label sources to disk in a layout `ml`'s readers already read.

Three layouts, chosen by the run's task (see `layout_for`):

    class folders   <dest>/<role>/<emotion>/<item id><suffix>              emotion; both without annotated V/A
    AffectNet CSV   <dest>/<role>.csv + <dest>/<role>/<item id><suffix>   va; both with annotated V/A; 68 landmarks;
                                                                           any task of a landmark model
    keypoints CSV   <dest>/<role>.csv (Kaggle's 30 columns + 96x96 Image)   keypoints (Kaggle's 15 points)

role is train | val | test. For a model that reads 68 landmarks besides the image (CNN-1DNN,
CNN-3DNN: `landmarks=True`), the AffectNet CSV carries each item's landmarks: a label's 68
points where one has them, else the points a `datasets.landmarks` job found on the item
(`Item.landmarks`); items with neither get an empty column, and the model its learned default
shape for them. Landmarks found by a job are never written as keypoint *targets*.

The AffectNet CSV carries valence/arousal only where a label annotated them (-2, "missing",
elsewhere: ml masks those rows out of V/A losses and metrics), so V/A derived from emotions is
never written as if it were ground truth.

Each item's label is the newest one among the chosen sources, per field (so "original +
correction" means: the correction's emotion where there is one, else the original; the
same for V/A and keypoints). Item splits map to roles by name (FER2013Train/Training/train
→ train; FER2013Valid/PublicTest/val → val; FER2013Test/PrivateTest/test → test). A dataset
without a validation split gives a fixed tenth of its training items (by content hash) to
`val`, so every run and every evaluation of that dataset holds out the same faces.

The folder is written once: a `summary.json` marks it complete, and a resumed run reads the
same files again, so ml's data fingerprint matches and its checkpoint can be resumed.
Item files are hard-linked from MEDIA_ROOT, or downloaded when they live in object storage
(webapp.core.storage), so a worker on another machine materializes the same folder.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ml.data import affectnet, facial_keypoints
from ml.data.source import decode_image, fit_size
from ml.taxonomy import EMOTIONS
from webapp.core import storage
from webapp.datasets.models import Dataset, Item, Label

SUMMARY = "summary.json"
HOLDOUT_MODULUS = 10  # one item in ten goes to val when a dataset has no validation split
BATCH = 2000  # items whose labels are read per query on the CSV layouts

CLASS_FOLDERS, AFFECTNET_CSV, KEYPOINTS_CSV = "class_folders", "affectnet_csv", "facial_keypoints_csv"
KAGGLE_POINTS = len(facial_keypoints.KEYPOINTS)  # 15
LANDMARKS = affectnet.LANDMARKS  # 68


class NothingToTrainOn(ValueError):
    """The chosen datasets and label sources leave no labelled item; the message is for the user."""


@dataclass
class Materialized:
    root: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # {role: {emotion: n}} of items with one
    unlabelled: int = 0  # items without what the task needs from the chosen sources
    layout: str = CLASS_FOLDERS
    items: dict[str, int] = field(default_factory=dict)  # {role: items written}
    va_items: dict[str, int] = field(default_factory=dict)  # {role: items with annotated V/A}
    num_keypoints: int = 0  # points per item in the keypoint layouts (15 or 68); 0 = none written
    landmark_items: dict[str, int] = field(default_factory=dict)  # {role: items written with 68 landmarks}
    skipped: dict[str, int] = field(default_factory=dict)  # {why: n} items with labels ml could not use

    @property
    def roles(self) -> list[str]:
        return [role for role in ("train", "val", "test") if self.size(role)]

    def size(self, role: str) -> int:
        """Items written for a role (summaries written before `items` existed count the class folders)."""
        return self.items.get(role) or sum(self.counts.get(role, {}).values())

    @property
    def held_out_role(self) -> str:
        """The split evaluations report: test if there is one, else val."""
        return "test" if "test" in self.roles else "val"

    def source(self, role: str) -> tuple[str, str | None]:
        """(path, split) to hand to ml.data.load_faceset for one role."""
        if self.layout == CLASS_FOLDERS:
            return self.root, role
        return str(Path(self.root) / f"{role}.csv"), None  # ml reads a CSV whole; the split is its file

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Current:
    """An item's newest label values among the chosen sources, field by field."""

    emotion: str | None = None
    valence: float | None = None
    arousal: float | None = None
    keypoints: list | None = None
    found_landmarks: list | None = None  # Item.landmarks: found by a job, read as input, never as a target

    @property
    def va(self) -> tuple[float, float] | None:
        return None if self.valence is None or self.arousal is None else (self.valence, self.arousal)


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


def layout_for(task: str, datasets: list[Dataset], sources: list[str], landmarks: bool = False) -> str:
    """The layout that carries what `task` learns from these labels (see the module docstring).

    `both` without any annotated V/A keeps the class folders, where ml derives V/A from the
    emotions (and records `va_labels: derived`); `keypoints` follows the first keypoint label;
    a landmark model's emotion data goes to the AffectNet CSV, the layout with a landmarks column.
    """
    if task == "va" or (task == "both" and annotated_va_labels(datasets, sources).exists()):
        return AFFECTNET_CSV
    if landmarks and task in ("emotion", "both"):
        return AFFECTNET_CSV
    if task == "keypoints":
        return AFFECTNET_CSV if keypoint_count(datasets, sources) == LANDMARKS else KEYPOINTS_CSV
    return CLASS_FOLDERS


def annotated_va_labels(datasets: list[Dataset], sources: list[str]):
    return Label.objects.filter(
        item__dataset__in=datasets, source__in=sources, valence__isnull=False, arousal__isnull=False
    )


def keypoint_labels(datasets: list[Dataset], sources: list[str]):
    return Label.objects.filter(item__dataset__in=datasets, source__in=sources, keypoints__isnull=False)


def keypoint_count(datasets: list[Dataset], sources: list[str]) -> int:
    """Points per item of the oldest keypoint label (15 Kaggle keypoints, 68 landmarks); 0 if none."""
    first = keypoint_labels(datasets, sources).order_by("id").values_list("keypoints", flat=True).first()
    return len(first) if isinstance(first, list) else 0


def materialize(
    datasets: list[Dataset], sources: list[str], dest: Path, task: str = "emotion", landmarks: bool = False
) -> Materialized:
    """Write (or, if already complete, read back) the data of these datasets for a task;
    `landmarks`: for a model that reads 68 landmarks (ml.models.uses_landmarks of its architecture)."""
    dest = Path(dest)
    if (dest / SUMMARY).is_file():
        return Materialized(**json.loads((dest / SUMMARY).read_text()))
    if dest.exists():
        shutil.rmtree(dest)  # a half-written tree from a worker that died while writing it
    layout = layout_for(task, datasets, sources, landmarks)
    if layout == CLASS_FOLDERS:
        result = _write_class_folders(datasets, sources, dest)
    else:
        result = _write_csv(datasets, sources, dest, task, layout, landmarks and task != "keypoints")
    if not result.size("train"):
        raise NothingToTrainOn(_nothing_message(task, datasets, sources, result))
    (dest / SUMMARY).write_text(json.dumps(result.to_dict(), indent=2))
    return result


def _nothing_message(task: str, datasets: list[Dataset], sources: list[str], result: Materialized) -> str:
    needs = {
        "va": "annotated valence/arousal and an emotion label",
        "keypoints": "keypoint labels",
    }.get(task, "an emotion label")
    skipped = "; ".join(f"{n} left out: {why}" for why, n in result.skipped.items())
    names, chosen = ", ".join(d.name for d in datasets), ", ".join(sources)
    return f"no item of {names} has {needs} from {chosen}" + (f" ({skipped})" if skipped else "")


def _role(dataset_id: int, split: str, image_name: str, has_val: set[int]) -> str:
    role = split_role(split)
    if role == "train" and dataset_id not in has_val and _held_out(image_name):
        return "val"
    return role


def _write_class_folders(datasets: list[Dataset], sources: list[str], dest: Path) -> Materialized:
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
        role = _role(dataset_id, split, image_name, has_val)
        target = dest / role / emotion / f"{item_id}{Path(image_name).suffix.lower()}"
        storage.place(image_name, target)
        counts[role][emotion] += 1
    result.counts = {role: dict(sorted(per_class.items())) for role, per_class in counts.items()}
    result.items = {role: sum(per_class.values()) for role, per_class in result.counts.items()}
    return result


# ---- the CSV layouts ---------------------------------------------------------------------------


def items_with_current_labels(datasets: list[Dataset], sources: list[str]) -> Iterator[tuple[tuple, Current]]:
    """((id, dataset id, split, image, width, height), newest label values) for every item, by id.

    Read in batches, so the 68 landmarks of a large AffectNet import are never all in memory.
    """
    last_id = 0
    columns = ("id", "dataset_id", "split", "image", "width", "height", "landmarks")
    while batch := list(
        Item.objects.filter(dataset__in=datasets, id__gt=last_id).order_by("id").values_list(*columns)[:BATCH]
    ):
        current = {row[0]: Current(found_landmarks=row[6]) for row in batch}
        labels = Label.objects.filter(item_id__in=current, source__in=sources).order_by("created_at", "id")
        for item_id, emotion, valence, arousal, points in labels.values_list(
            "item_id", "emotion", "valence", "arousal", "keypoints"
        ):
            _merge(current[item_id], emotion, valence, arousal, points)
        for row in batch:
            yield row[:6], current[row[0]]
        last_id = batch[-1][0]


def _merge(current: Current, emotion, valence, arousal, points) -> None:
    """Newer labels (they come later) overwrite each field they say something about."""
    if emotion is not None:
        current.emotion = emotion
    if valence is not None and arousal is not None:
        current.valence, current.arousal = valence, arousal
    if points is not None:
        current.keypoints = points


class _CsvFiles:
    """One CSV per role under `dest`, opened on its first row and closed together."""

    def __init__(self, dest: Path, header: list[str]):
        self.dest, self.header, self.handles, self.writers = dest, header, {}, {}

    def write(self, role: str, row: list) -> None:
        if role not in self.writers:
            self.dest.mkdir(parents=True, exist_ok=True)
            self.handles[role] = open(self.dest / f"{role}.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115
            self.writers[role] = csv.writer(self.handles[role])
            self.writers[role].writerow(self.header)
        self.writers[role].writerow(row)

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()


def _write_csv(
    datasets: list[Dataset], sources: list[str], dest: Path, task: str, layout: str, found_landmarks: bool = False
) -> Materialized:
    """The CSV layouts; `found_landmarks`: items whose labels have no 68 landmarks get those a job found."""
    points = LANDMARKS if layout == AFFECTNET_CSV else KAGGLE_POINTS
    header = list(affectnet.COLUMNS) if layout == AFFECTNET_CSV else [*facial_keypoints.COORDINATE_COLUMNS, "Image"]
    row_of = _affectnet_row if layout == AFFECTNET_CSV else _keypoints_row
    result = Materialized(root=str(dest), layout=layout, num_keypoints=points if task == "keypoints" else 0)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    items, va_items, skipped, landmark_items = defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int)
    has_val = _datasets_with_val(datasets)
    files = _CsvFiles(dest, header)
    try:
        for item, labels in items_with_current_labels(datasets, sources):
            why = _unusable(task, layout, labels)
            if why:
                if why != "no label for the task":
                    skipped[why] += 1
                result.unlabelled += 1
                continue
            role = _role(item[1], item[2], item[3], has_val)
            if found_landmarks and not _complete_landmarks(labels.keypoints):
                labels.keypoints = labels.found_landmarks
            row = row_of(item, labels, role, dest)
            files.write(role, row)
            items[role] += 1
            landmark_items[role] += layout == AFFECTNET_CSV and bool(row[5])
            va_items[role] += labels.va is not None
            if labels.emotion:
                counts[role][labels.emotion] += 1
    finally:
        files.close()
    result.counts = {role: dict(sorted(per_class.items())) for role, per_class in counts.items()}
    result.items, result.skipped = dict(items), dict(skipped)
    result.va_items = {role: n for role, n in va_items.items() if n}
    result.landmark_items = {role: n for role, n in landmark_items.items() if n}
    return result


def _unusable(task: str, layout: str, labels: Current) -> str | None:
    """Why an item cannot be written for this task, or None when it can."""
    points = labels.keypoints
    if task == "keypoints":
        if not points:
            return "no label for the task"
        wanted = LANDMARKS if layout == AFFECTNET_CSV else KAGGLE_POINTS
        if len(points) != wanted:
            return f"keypoints are not {wanted} points (a run learns one keypoint layout)"
        if layout == KEYPOINTS_CSV:
            return None if any(map(_is_point, points)) else "no keypoint annotated"
        if not all(map(_is_point, points)):
            return "some of the 68 landmarks missing"
    elif task == "va" and labels.va is None:
        return "no label for the task"
    if labels.emotion is None:  # ml's AffectNet reader drops rows coded none/uncertain/non-face
        return "no label for the task" if task == "both" else "no emotion label (ml's AffectNet reader needs one)"
    return None


def _affectnet_row(item: tuple, labels: Current, role: str, dest: Path) -> list:
    """AffectNet's columns over the whole item image (items are face crops already)."""
    item_id, _, _, image_name, width, height = item
    name = f"{role}/{item_id}{Path(image_name).suffix.lower()}"
    storage.place(image_name, dest / name)
    points = labels.keypoints
    landmarks = ";".join(f"{v:g}" for point in points for v in point) if _complete_landmarks(points) else ""
    valence, arousal = labels.va or (affectnet.MISSING_VA, affectnet.MISSING_VA)
    return [name, 0, 0, width, height, landmarks, EMOTIONS.index(labels.emotion), valence, arousal]


def _complete_landmarks(points) -> bool:
    return bool(points) and len(points) == LANDMARKS and all(map(_is_point, points))


def _keypoints_row(item: tuple, labels: Current, role: str, dest: Path) -> list:
    """Kaggle's layout: the 15 points scaled from the item's pixels to 96x96, then its grey pixels."""
    _, _, _, image_name, width, height = item
    size = facial_keypoints.IMAGE_SIZE
    grey = fit_size(decode_image(storage.read_bytes(image_name), 1, image_name), size)
    cells = [cell for point in labels.keypoints for cell in _kaggle_cells(point, width, height)]
    return [*cells, " ".join(map(str, grey.ravel()))]


def _is_point(point) -> bool:
    """[x, y] of finite numbers: a label's point that can be written (anything else counts as missing)."""
    return (
        isinstance(point, (list, tuple))
        and len(point) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in point)
    )


def _kaggle_cells(point: list | None, width: int, height: int) -> tuple[str, str]:
    """One point as Kaggle's x, y text at 96 px; a point outside the image cannot be written: "not annotated"."""
    if not _is_point(point) or not (0 <= point[0] <= width and 0 <= point[1] <= height):
        return "", ""
    size = facial_keypoints.IMAGE_SIZE
    return f"{min(point[0] * size / width, size):.4f}", f"{min(point[1] * size / height, size):.4f}"


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
