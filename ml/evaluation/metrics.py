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


def concordance_correlation(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Lin's concordance correlation coefficient: 2 cov / (var_t + var_p + (mean_t - mean_p)^2).

    Population (biased) moments, as in the AVEC challenges and AffectNet's papers. 1 means
    predictions equal the truth; unlike Pearson it also penalises offset and scale errors.
    """
    t, p = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    if len(t) == 0:
        raise ValueError("cannot compute CCC on zero items")
    covariance = ((t - t.mean()) * (p - p.mean())).mean()
    denom = t.var() + p.var() + (t.mean() - p.mean()) ** 2
    return float(2 * covariance / denom) if denom > 0 else 0.0


def _pearson(t: np.ndarray, p: np.ndarray) -> float:
    if t.std() == 0 or p.std() == 0:
        return 0.0  # undefined for a constant series; 0 says "no linear relation measured"
    return float(np.corrcoef(t, p)[0, 1])


def va_report(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float | int]:
    """Valence/arousal regression metrics from (N, 2) arrays: RMSE, Pearson, CCC, sign agreement.

    Per dimension (valence_*, arousal_*) and the mean of both (va_rmse, va_ccc) for model selection.
    """
    t, p = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    if t.ndim != 2 or t.shape[1] != 2 or t.shape != p.shape:
        raise ValueError(f"valence/arousal arrays must both be (N, 2), got {t.shape} and {p.shape}")
    present = ~np.isnan(t).any(axis=1)  # rows without annotated V/A (NaN) are left out
    t, p = t[present], p[present]
    if len(t) == 0:
        raise ValueError("cannot evaluate valence/arousal on zero annotated items")
    report: dict[str, float] = {"va_evaluated": int(len(t))}
    for i, name in enumerate(("valence", "arousal")):
        report[f"{name}_rmse"] = float(np.sqrt(((t[:, i] - p[:, i]) ** 2).mean()))
        report[f"{name}_pearson"] = _pearson(t[:, i], p[:, i])
        report[f"{name}_ccc"] = concordance_correlation(t[:, i], p[:, i])
        report[f"{name}_sign_agreement"] = float((np.sign(t[:, i]) == np.sign(p[:, i])).mean())
    report["va_rmse"] = (report["valence_rmse"] + report["arousal_rmse"]) / 2
    report["va_ccc"] = (report["valence_ccc"] + report["arousal_ccc"]) / 2
    return report


def keypoint_report(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float | int]:
    """Keypoint RMSE in pixels over the points that are present (NaN in `y_true` marks a missing point).

    RMSE is taken over coordinates, as Kaggle's facial-keypoints leaderboard does; also the mean
    Euclidean point error. Arrays are (N, K, 2) in the same pixel units.
    """
    t, p = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    if t.shape != p.shape or t.ndim != 3 or t.shape[2] != 2:
        raise ValueError(f"keypoint arrays must both be (N, K, 2), got {t.shape} and {p.shape}")
    present = ~np.isnan(t).any(axis=2)  # (N, K): a point counts only with both coordinates
    if not present.any():
        raise ValueError("no keypoint is annotated in the evaluation data")
    diff = (t - p)[present]  # (M, 2)
    return {
        "keypoint_rmse": float(np.sqrt((diff**2).mean())),
        "keypoint_mean_error": float(np.linalg.norm(diff, axis=1).mean()),
        "keypoints_evaluated": int(present.sum()),
    }
