"""Evaluate a checkpoint on a dataset split: metrics report plus optional confusion-matrix PNG.

What is measured follows the task the checkpoint was trained for (its config's `task`):
emotion/both -> classification report (+ V/A metrics when the data has annotated V/A);
va -> V/A RMSE, Pearson, CCC, sign agreement; keypoints -> keypoint RMSE in pixels.
Data a checkpoint cannot be measured on (no shared class, no annotation of what it predicts) is
refused with the reason `unevaluable_reason` gives; ml/evaluation/cross_dataset.py skips it instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ml.checkpoint import Checkpoint, load_checkpoint
from ml.data import FaceSet, load_faceset
from ml.evaluation.metrics import ClassificationReport, classification_report, keypoint_report, va_report
from ml.evaluation.plots import save_confusion_matrix_png
from ml.evaluation.predict import Predictions, has_annotated_va, landmarks_of, predict_outputs
from ml.models import EmotionNet

# progress(items done, items in total): called after every batch that went through the network.
ProgressCallback = Callable[[int, int], None]
REGRESSION_TASKS = ("va", "keypoints")


@dataclass
class Evaluation:
    checkpoint: str
    data: str
    split: str | None
    report: ClassificationReport | None  # None for V/A-only and keypoint models
    items_dropped: int  # items whose class the model's label set lacks (or that have no emotion label)
    confusion_png: str | None = None
    task: str = "emotion"
    regression: dict = field(default_factory=dict)  # V/A and keypoint metrics

    def to_dict(self) -> dict:
        return {
            "checkpoint": self.checkpoint,
            "data": self.data,
            "split": self.split,
            "task": self.task,
            "items_dropped": self.items_dropped,
            "confusion_png": self.confusion_png,
            **(self.report.to_dict() if self.report is not None else {}),
            **self.regression,
        }

    def headline(self) -> dict[str, float | int]:
        """The few numbers that summarise it: classification summary, else the regression metrics."""
        if self.report is not None:
            return {"num_items": self.report.num_items, **self.report.summary()}
        return dict(self.regression)


@torch.no_grad()
def predict(
    ckpt: Checkpoint,
    images: np.ndarray,
    batch_size: int = 256,
    flip_tta: bool = False,
    progress: ProgressCallback | None = None,
    int8: bool = False,
    model: EmotionNet | None = None,
) -> np.ndarray:
    """Class probabilities (N, C) in the checkpoint's label-set order (`int8`: its int8 trunk).

    `model` (from `ckpt.inference_model(...)`) saves rebuilding the network, e.g. for timing it.
    """
    model = model if model is not None else ckpt.inference_model(int8=int8)
    out = []
    for start in range(0, len(images), batch_size):
        x = ckpt.preprocess(images[start : start + batch_size])
        probs = torch.softmax(model(x).logits, dim=1)
        if flip_tta:
            probs = (probs + torch.softmax(model(torch.flip(x, dims=[3])).logits, dim=1)) / 2
        out.append(probs.numpy())
        if progress:
            progress(min(start + batch_size, len(images)), len(images))
    return np.concatenate(out)


def labels_in_model_space(faces: FaceSet, ckpt: Checkpoint) -> tuple[np.ndarray, np.ndarray]:
    """(kept item indices, labels re-indexed into the model's label set).

    Items without an emotion label (-1, e.g. the facial-keypoints CSV) and items of a class the
    model lacks (contempt for a FER-2013 model) are left out.
    """
    keep, labels = [], []
    for i, label in enumerate(faces.labels):
        name = faces.label_set.classes[label] if label >= 0 else None
        if name in ckpt.label_set.classes:
            keep.append(i)
            labels.append(ckpt.label_set.index(name))
    return np.array(keep, dtype=np.int64), np.array(labels, dtype=np.int64)


def unevaluable_reason(ckpt: Checkpoint, faces: FaceSet) -> str | None:
    """Why `ckpt` cannot be measured on `faces` (nothing it predicts is annotated there), or None if it can."""
    if ckpt.task == "keypoints":
        if faces.keypoints is None or faces.keypoints.shape[1] != ckpt.num_keypoints:
            found = "none" if faces.keypoints is None else f"{faces.keypoints.shape[1]}-point"
            return f"no {ckpt.num_keypoints}-point keypoint annotations (found: {found})"
        if np.isnan(faces.keypoints).all():
            return "every keypoint is missing"
        return None
    if ckpt.task == "va":
        return None if has_annotated_va(faces) else "no annotated valence/arousal"
    if len(labels_in_model_space(faces, ckpt)[0]) == 0:
        labelled = sorted({faces.label_set.classes[i] for i in faces.labels if i >= 0})
        return (
            f"no labelled item has a class of the model's label set {ckpt.label_set.name} "
            f"{list(ckpt.label_set.classes)}; the data's classes: {labelled or 'none (no emotion labels)'}"
        )
    return None


def load_for(ckpt: Checkpoint, data: str | Path, split: str | None = None) -> FaceSet:
    """Read a dataset at the checkpoint's input size and channels."""
    return load_faceset(str(data), split, size=ckpt.input_size, channels=ckpt.in_chans)


def evaluate_checkpoint(
    checkpoint: str | Path,
    data: str | Path,
    split: str | None = None,
    confusion_png: str | Path | None = None,
    flip_tta: bool = False,
    progress: ProgressCallback | None = None,
) -> Evaluation:
    """Load a checkpoint and a dataset split and measure what the checkpoint's task produces."""
    ckpt = load_checkpoint(checkpoint)
    faces = load_for(ckpt, data, split)
    return evaluate_faces(
        ckpt, faces, str(checkpoint), str(data), split, confusion_png=confusion_png, flip_tta=flip_tta,
        progress=progress,
    )  # fmt: skip


def evaluate_faces(
    ckpt: Checkpoint,
    faces: FaceSet,
    checkpoint: str,
    data: str,
    split: str | None,
    confusion_png: str | Path | None = None,
    flip_tta: bool = False,
    progress: ProgressCallback | None = None,
    model: EmotionNet | None = None,
) -> Evaluation:
    """Measure a loaded checkpoint on loaded faces; `model` saves rebuilding the network per dataset.

    Raises ValueError with `unevaluable_reason` when the data holds nothing the model can be judged on.
    """
    reason = unevaluable_reason(ckpt, faces)
    if reason is not None:
        raise ValueError(f"cannot evaluate {ckpt.arch} ({ckpt.task}) on {data}: {reason}")
    model = model if model is not None else ckpt.inference_model()
    if ckpt.task in REGRESSION_TASKS:
        outputs = infer(ckpt, model, faces, progress=progress)
        if ckpt.task == "keypoints":
            regression = keypoint_report(faces.keypoints, outputs.keypoints)
        else:
            regression = va_report(faces.valence_arousal, outputs.va)
        return Evaluation(checkpoint, data, split, None, 0, None, ckpt.task, regression)
    keep, labels = labels_in_model_space(faces, ckpt)
    kept = faces.subset(keep)
    outputs = infer(ckpt, model, kept, flip_tta=flip_tta, progress=progress)
    report = classification_report(outputs.probs, labels, ckpt.label_set.classes)
    regression = {}
    if outputs.va is not None and has_annotated_va(kept):
        regression = va_report(kept.valence_arousal, outputs.va)
    evaluation = Evaluation(checkpoint, data, split, report, len(faces) - len(keep), None, ckpt.task, regression)
    if confusion_png:
        save_confusion(evaluation, confusion_png, ckpt.arch)
    return evaluation


def save_confusion(evaluation: Evaluation, path: str | Path, arch: str) -> str:
    """Draw a classifier evaluation's confusion matrix to `path`, titled with its headline, and record it."""
    report = evaluation.report
    if report is None:
        raise ValueError(f"a {evaluation.task} evaluation has no confusion matrix")
    where = f"{Path(evaluation.data).name}/{evaluation.split or ''}"
    title = f"{arch} on {where}: acc {report.accuracy:.3f}, macro-F1 {report.macro_f1:.3f}"
    evaluation.confusion_png = str(save_confusion_matrix_png(report.confusion, report.classes, path, title))
    return evaluation.confusion_png


def infer(
    ckpt: Checkpoint,
    model: EmotionNet,
    faces: FaceSet,
    flip_tta: bool = False,
    progress: ProgressCallback | None = None,
    batch_size: int = 256,
) -> Predictions:
    """Every head's output for `faces`, batch by batch (reporting progress), as `Predictions`.

    Landmark models read the data's 68 landmarks (never a keypoint model: those are its targets);
    flip TTA averages the class probabilities with the mirrored crops', except for landmark models,
    whose points would need mirroring too.
    """
    landmarks = None if ckpt.task == "keypoints" else landmarks_of(faces)
    flip_tta = flip_tta and not model.uses_landmarks
    parts = []
    for start in range(0, len(faces), batch_size):
        chunk = slice(start, start + batch_size)
        marks = None if landmarks is None else landmarks[chunk]
        part = predict_outputs(model, faces.images[chunk], ckpt.mean, ckpt.std, landmarks=marks, batch_size=batch_size)
        if flip_tta:
            mirrored = np.ascontiguousarray(faces.images[chunk][:, :, ::-1])
            part.probs = (part.probs + predict_outputs(model, mirrored, ckpt.mean, ckpt.std).probs) / 2
        parts.append(part)
        if progress:
            progress(min(start + batch_size, len(faces)), len(faces))

    def joined(name: str) -> np.ndarray | None:
        values = [getattr(p, name) for p in parts]
        return None if not values or values[0] is None else np.concatenate(values)

    return Predictions(joined("probs"), joined("va"), joined("keypoints"))


__all__ = [
    "Evaluation",
    "ProgressCallback",
    "evaluate_checkpoint",
    "evaluate_faces",
    "infer",
    "labels_in_model_space",
    "load_for",
    "predict",
    "save_confusion",
    "unevaluable_reason",
]
