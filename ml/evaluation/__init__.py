"""Metrics, reports and figures for emotion classifiers, valence/arousal and keypoint regressors."""

from ml.evaluation.metrics import (
    ClassificationReport,
    classification_report,
    concordance_correlation,
    confusion_matrix,
    expected_calibration_error,
    keypoint_report,
    per_class_scores,
    va_report,
)

__all__ = [
    "ClassificationReport",
    "classification_report",
    "concordance_correlation",
    "confusion_matrix",
    "expected_calibration_error",
    "keypoint_report",
    "per_class_scores",
    "va_report",
]
