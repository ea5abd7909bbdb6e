"""Evaluate a checkpoint on a dataset split: metrics report plus optional confusion-matrix PNG.

What is measured follows the task the checkpoint was trained for (its config's `task`):
emotion/both -> classification report (+ V/A metrics when the data has annotated V/A);
va -> V/A RMSE, Pearson, CCC, sign agreement; keypoints -> keypoint RMSE in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ml.checkpoint import Checkpoint, load_checkpoint
from ml.data import FaceSet, load_faceset
from ml.evaluation.metrics import ClassificationReport, classification_report, keypoint_report, va_report
from ml.evaluation.plots import save_confusion_matrix_png


@dataclass
class Evaluation:
    checkpoint: str
    data: str
    split: str | None
    report: ClassificationReport | None  # None for V/A-only and keypoint models
    items_dropped: int  # items whose class the model's label set lacks
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


@torch.no_grad()
def predict(ckpt: Checkpoint, images: np.ndarray, batch_size: int = 256, flip_tta: bool = False) -> np.ndarray:
    """Class probabilities (N, C) in the checkpoint's label-set order."""
    model = ckpt.build_model()
    out = []
    for start in range(0, len(images), batch_size):
        x = ckpt.preprocess(images[start : start + batch_size])
        probs = torch.softmax(model(x).logits, dim=1)
        if flip_tta:
            probs = (probs + torch.softmax(model(torch.flip(x, dims=[3])).logits, dim=1)) / 2
        out.append(probs.numpy())
    return np.concatenate(out)


def labels_in_model_space(faces: FaceSet, ckpt: Checkpoint) -> tuple[np.ndarray, np.ndarray]:
    """(kept item indices, labels re-indexed into the model's label set)."""
    names = [faces.label_set.classes[i] for i in faces.labels]
    keep = [i for i, n in enumerate(names) if n in ckpt.label_set.classes]
    labels = [ckpt.label_set.index(names[i]) for i in keep]
    return np.array(keep, dtype=np.int64), np.array(labels, dtype=np.int64)


def evaluate_checkpoint(
    checkpoint: str | Path,
    data: str,
    split: str | None = None,
    confusion_png: str | Path | None = None,
    flip_tta: bool = False,
) -> Evaluation:
    ckpt = load_checkpoint(checkpoint)
    faces = load_faceset(data, split, size=ckpt.input_size, channels=ckpt.in_chans)
    if ckpt.task in ("va", "keypoints"):
        return _evaluate_regression(ckpt, faces, str(checkpoint), str(data), split)
    keep, labels = labels_in_model_space(faces, ckpt)
    if len(keep) == 0:
        raise ValueError(f"no item of {data} has a class of the model's label set {ckpt.label_set.classes}")
    if ckpt.build_model().uses_landmarks:  # landmark models read the 68 points; no flip TTA for them
        probs = _outputs(ckpt, faces.subset(keep)).probs
    else:
        probs = predict(ckpt, faces.images[keep], flip_tta=flip_tta)
    report = classification_report(probs, labels, ckpt.label_set.classes)
    regression = {}
    if ckpt.va_head and faces.valence_arousal is not None and not np.isnan(faces.valence_arousal[keep]).all():
        regression = va_report(faces.valence_arousal[keep], _outputs(ckpt, faces.subset(keep)).va)
    png = None
    if confusion_png:
        title = (
            f"{ckpt.arch} on {Path(data).name}/{split or ''}: acc {report.accuracy:.3f}, macro-F1 {report.macro_f1:.3f}"
        )
        png = str(save_confusion_matrix_png(report.confusion, ckpt.label_set.classes, confusion_png, title))
    return Evaluation(str(checkpoint), str(data), split, report, len(faces) - len(keep), png, ckpt.task, regression)


def _outputs(ckpt: Checkpoint, faces: FaceSet):
    from ml.training.loop import landmarks_of, predict_outputs

    landmarks = None if ckpt.task == "keypoints" else landmarks_of(faces)  # never feed targets as input
    return predict_outputs(ckpt.build_model(), faces.images, ckpt.mean, ckpt.std, landmarks=landmarks)


def _evaluate_regression(ckpt: Checkpoint, faces: FaceSet, checkpoint: str, data: str, split: str | None) -> Evaluation:
    """A V/A-only or keypoint model on data carrying those annotations."""
    if ckpt.task == "keypoints":
        if faces.keypoints is None or faces.keypoints.shape[1] != ckpt.num_keypoints:
            raise ValueError(f"{data} has no {ckpt.num_keypoints}-point keypoint annotations to evaluate against")
        regression = keypoint_report(faces.keypoints, _outputs(ckpt, faces).keypoints)
    else:
        if faces.valence_arousal is None:
            raise ValueError(f"{data} has no annotated valence/arousal to evaluate a V/A model against")
        regression = va_report(faces.valence_arousal, _outputs(ckpt, faces).va)
    return Evaluation(checkpoint, data, split, None, 0, None, ckpt.task, regression)


__all__ = ["Evaluation", "evaluate_checkpoint", "labels_in_model_space", "predict"]
