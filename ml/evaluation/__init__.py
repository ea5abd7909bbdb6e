"""Metrics, reports and figures for emotion classifiers."""

from ml.evaluation.metrics import (
    ClassificationReport,
    classification_report,
    confusion_matrix,
    expected_calibration_error,
    per_class_scores,
)

__all__ = [
    "ClassificationReport",
    "classification_report",
    "confusion_matrix",
    "expected_calibration_error",
    "per_class_scores",
]
