"""Evaluate a checkpoint on a dataset split: metrics report plus optional confusion-matrix PNG."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ml.checkpoint import Checkpoint, load_checkpoint
from ml.data import FaceSet, load_faceset
from ml.evaluation.metrics import ClassificationReport, classification_report
from ml.evaluation.plots import save_confusion_matrix_png


@dataclass
class Evaluation:
    checkpoint: str
    data: str
    split: str | None
    report: ClassificationReport
    items_dropped: int  # items whose class the model's label set lacks
    confusion_png: str | None = None

    def to_dict(self) -> dict:
        return {
            "checkpoint": self.checkpoint,
            "data": self.data,
            "split": self.split,
            "items_dropped": self.items_dropped,
            "confusion_png": self.confusion_png,
            **self.report.to_dict(),
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
    keep, labels = labels_in_model_space(faces, ckpt)
    if len(keep) == 0:
        raise ValueError(f"no item of {data} has a class of the model's label set {ckpt.label_set.classes}")
    probs = predict(ckpt, faces.images[keep], flip_tta=flip_tta)
    report = classification_report(probs, labels, ckpt.label_set.classes)
    png = None
    if confusion_png:
        title = (
            f"{ckpt.arch} on {Path(data).name}/{split or ''}: acc {report.accuracy:.3f}, macro-F1 {report.macro_f1:.3f}"
        )
        png = str(save_confusion_matrix_png(report.confusion, ckpt.label_set.classes, confusion_png, title))
    return Evaluation(str(checkpoint), str(data), split, report, len(faces) - len(keep), png)


__all__ = ["Evaluation", "evaluate_checkpoint", "labels_in_model_space", "predict"]
