"""Classification metrics in NumPy (checked against scikit-learn in tests/ml/test_metrics.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> np.ndarray:
    """(C, C) counts; rows are true classes, columns predicted classes."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes**2).reshape(num_classes, num_classes)


def per_class_scores(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall, F1 and support per class; 0 where undefined (sklearn's zero_division=0)."""
    tp = np.diag(cm).astype(np.float64)
    predicted, support = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return precision, recall, f1, support


def expected_calibration_error(probs: np.ndarray, y_true: np.ndarray, n_bins: int = 15) -> float:
    """ECE (Guo et al. 2017): |accuracy - confidence| averaged over equal-width confidence bins."""
    probs = np.asarray(probs, dtype=np.float64)
    confidence, predicted = probs.max(axis=1), probs.argmax(axis=1)
    correct = (predicted == np.asarray(y_true)).astype(np.float64)
    bins = np.minimum((confidence * n_bins).astype(np.int64), n_bins - 1)  # bin i holds (i/n, (i+1)/n]
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


@dataclass
class ClassificationReport:
    accuracy: float
    macro_f1: float
    weighted_f1: float
    ece: float
    nll: float
    num_items: int
    classes: list[str]
    per_class: dict[str, dict[str, float]]
    confusion: list[list[int]]

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> dict[str, float]:
        return {"accuracy": self.accuracy, "macro_f1": self.macro_f1, "weighted_f1": self.weighted_f1, "ece": self.ece}


def classification_report(
    probs: np.ndarray, y_true: np.ndarray, classes: list[str] | tuple[str, ...]
) -> ClassificationReport:
    """All metrics from predicted probabilities (N, C) and integer true labels (N,)."""
    probs, y_true = np.asarray(probs, dtype=np.float64), np.asarray(y_true, dtype=np.int64)
    if len(probs) == 0:
        raise ValueError("cannot evaluate on zero items")
    y_pred = probs.argmax(axis=1)
    cm = confusion_matrix(y_true, y_pred, len(classes))
    precision, recall, f1, support = per_class_scores(cm)
    present = (support > 0) | (cm.sum(axis=0) > 0)  # sklearn's macro: classes seen in truth or predictions
    nll = float(-np.log(np.clip(probs[np.arange(len(y_true)), y_true], 1e-12, 1.0)).mean())
    return ClassificationReport(
        accuracy=float((y_pred == y_true).mean()),
        macro_f1=float(f1[present].mean()) if present.any() else 0.0,
        weighted_f1=float((f1 * support).sum() / support.sum()),
        ece=expected_calibration_error(probs, y_true),
        nll=nll,
        num_items=int(len(y_true)),
        classes=list(classes),
        per_class={
            c: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for c, p, r, f, s in zip(classes, precision, recall, f1, support, strict=True)
        },
        confusion=cm.tolist(),
    )
