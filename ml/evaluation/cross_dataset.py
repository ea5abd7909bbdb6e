"""Cross-dataset evaluation: one checkpoint measured on several datasets, each where it can be.

Every reader maps its dataset's labels onto the canonical emotions through ml.taxonomy's tables; a
dataset is evaluated when some of its labelled items fall in the model's label set (a FER-2013
model on FER+ drops the contempt faces), or, for V/A and keypoint models, when it carries those
annotations. Datasets that cannot be read, whose label names no taxonomy map knows, or that share
nothing with the model are skipped with the reason, never silently.

With `out_dir`, each evaluated dataset gets `NN_<name>[_<split>].json` (the full report) and, for a
classifier, `NN_<name>[_<split>]_confusion.png`; `summary.json` lists what was evaluated and skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ml.checkpoint import load_checkpoint
from ml.data import DatasetError
from ml.evaluation.evaluate import (
    REGRESSION_TASKS,
    Evaluation,
    ProgressCallback,
    evaluate_faces,
    load_for,
    unevaluable_reason,
)
from ml.taxonomy import UnknownLabelError

SUMMARY = "summary.json"


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset path (folder, zip or CSV) and optionally the split to read from it."""

    path: str
    split: str | None = None

    @property
    def label(self) -> str:
        return f"{self.path} [{self.split}]" if self.split else self.path


@dataclass
class Skipped:
    data: str
    split: str | None
    reason: str

    def to_dict(self) -> dict:
        return {"data": self.data, "split": self.split, "reason": self.reason}


@dataclass
class CrossEvaluation:
    """The evaluations in the order the datasets were given, the skipped datasets, and files written."""

    checkpoint: str
    arch: str
    task: str
    evaluations: list[Evaluation] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    report_files: list[str] = field(default_factory=list)  # one JSON per evaluation when out_dir was given

    def to_dict(self) -> dict:
        files = self.report_files or [None] * len(self.evaluations)
        evaluated = [
            {"data": e.data, "split": e.split, "report": f, "confusion_png": e.confusion_png, **e.headline()}
            for e, f in zip(self.evaluations, files, strict=True)
        ]
        return {
            "checkpoint": self.checkpoint,
            "arch": self.arch,
            "task": self.task,
            "evaluated": evaluated,
            "skipped": [s.to_dict() for s in self.skipped],
        }


def evaluate_many(
    checkpoint: str | Path,
    datasets: Iterable[DatasetSpec | str],
    out_dir: str | Path | None = None,
    flip_tta: bool = False,
    progress: ProgressCallback | None = None,
    int8: bool = False,
) -> CrossEvaluation:
    """Evaluate one checkpoint on every dataset it can be measured on; skip the others with a reason.

    `progress(done, total)` counts the items of the dataset being evaluated (it restarts per dataset).
    """
    ckpt = load_checkpoint(checkpoint)
    model = ckpt.inference_model(int8=int8)  # int8: the checkpoint's int8 trunk (python -m ml quantize)
    result = CrossEvaluation(str(checkpoint), ckpt.arch, ckpt.task)
    out = Path(out_dir) if out_dir is not None else None
    for index, spec in enumerate(_specs(datasets), 1):
        try:
            faces = load_for(ckpt, spec.path, spec.split)
        except (DatasetError, UnknownLabelError, FileNotFoundError) as exc:
            result.skipped.append(Skipped(spec.path, spec.split, f"cannot be read: {exc}"))
            continue
        reason = unevaluable_reason(ckpt, faces)
        if reason is not None:
            result.skipped.append(Skipped(spec.path, spec.split, reason))
            continue
        stem = _file_stem(index, spec)
        png = out / f"{stem}_confusion.png" if out is not None and ckpt.task not in REGRESSION_TASKS else None
        evaluation = evaluate_faces(
            ckpt, faces, str(checkpoint), spec.path, spec.split, confusion_png=png, flip_tta=flip_tta,
            progress=progress, model=model,
        )  # fmt: skip
        result.evaluations.append(evaluation)
        if out is not None:
            result.report_files.append(str(_write_json(out / f"{stem}.json", evaluation.to_dict())))
    if out is not None:
        _write_json(out / SUMMARY, result.to_dict())
    return result


def _specs(datasets: Iterable[DatasetSpec | str]) -> list[DatasetSpec]:
    return [d if isinstance(d, DatasetSpec) else DatasetSpec(str(d)) for d in datasets]


def _file_stem(index: int, spec: DatasetSpec) -> str:
    """`03_ferplus_FER2013Valid`: the position keeps names unique when two datasets share a folder name."""
    name = Path(spec.path).stem or "data"
    parts = [f"{index:02d}", name] + ([spec.split] if spec.split else [])
    return re.sub(r"[^A-Za-z0-9._-]+", "-", "_".join(parts))


def _write_json(path: Path, payload: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2))
    return path


__all__ = ["CrossEvaluation", "DatasetSpec", "Skipped", "evaluate_many"]
