"""Comparing a candidate model version with the active one before promoting it.

Both are compared only where both were measured on the same dataset and split, with the
number of items and a 95% Wilson interval for each accuracy: 1.000 on 14 items and 0.83
on 3,000 are different claims. A candidate that cannot name a class the active model
predicts (a 7-class model replacing an 8-class one) is flagged, since every face of that
class would then be called something else.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from ml.taxonomy import get_label_set
from webapp.modelzoo.models import Evaluation, ModelVersion

Z_95 = 1.959964


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (0, 1) when there are no trials."""
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Measured:
    """One model's accuracy on one dataset split, with its item count and interval."""

    accuracy: float
    items: int
    low: float
    high: float
    macro_f1: float | None


def items_measured(evaluation: Evaluation) -> int | None:
    """Items behind an evaluation's figures: the confusion matrix's total, else the metrics' count."""
    total = sum(sum(row) for row in evaluation.confusion or [])
    return int(total) if total else evaluation.metrics.get("num_items")


def measured(evaluation: Evaluation) -> Measured | None:
    """Accuracy with its item count: from the confusion matrix (rows true, columns predicted), else the metrics."""
    if "accuracy" not in evaluation.metrics:
        return None
    confusion = evaluation.confusion or []
    items = int(items_measured(evaluation) or 0)
    if confusion:
        correct = int(sum(confusion[i][i] for i in range(min(len(confusion), len(confusion[0])))))
    else:
        correct = round(evaluation.metrics["accuracy"] * items)
    if not items:
        return None
    low, high = wilson_interval(correct, items)
    return Measured(correct / items, items, low, high, evaluation.metrics.get("macro_f1"))


@dataclass
class SideBySide:
    dataset: str
    split: str
    candidate: Measured
    active: Measured | None

    @property
    def difference(self) -> float | None:
        return None if self.active is None else self.candidate.accuracy - self.active.accuracy

    @property
    def clearly_worse(self) -> bool:
        """The candidate's whole interval lies below the active model's."""
        return self.active is not None and self.candidate.high < self.active.low


@dataclass
class PromotionPreview:
    candidate: str
    active: str | None
    comparisons: list[SideBySide] = field(default_factory=list)
    missing_classes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        for row, compared in zip(data["comparisons"], self.comparisons, strict=True):
            row["difference"] = compared.difference
            row["clearly_worse"] = compared.clearly_worse
        return data


def classes_of(version: ModelVersion) -> tuple[str, ...]:
    return get_label_set(version.label_set).classes


def promotion_preview(candidate: ModelVersion) -> PromotionPreview:
    """The candidate beside the active model on every dataset split both were measured on."""
    active = ModelVersion.objects.filter(is_active=True).first()
    preview = PromotionPreview(candidate=candidate.tag, active=active.tag if active else None)
    ours = _accuracies(candidate)
    theirs = _accuracies(active) if active and active.pk != candidate.pk else {}
    for key in sorted(ours):
        preview.comparisons.append(SideBySide(key[0], key[1], ours[key], theirs.get(key)))
    if active is not None and active.pk != candidate.pk:
        preview.missing_classes = [c for c in classes_of(active) if c not in classes_of(candidate)]
    preview.warnings = _warnings(preview, active)
    return preview


def _accuracies(version: ModelVersion) -> dict[tuple[str, str], Measured]:
    evaluations = Evaluation.objects.filter(model_version=version).select_related("dataset")
    found = {(e.dataset.name, e.split): measured(e) for e in evaluations}
    return {key: value for key, value in found.items() if value is not None}


def _warnings(preview: PromotionPreview, active: ModelVersion | None) -> list[str]:
    warnings = []
    if preview.missing_classes:
        names = ", ".join(preview.missing_classes)
        warnings.append(f"The candidate has no class for {names}: faces the active model calls {names} will get "
                        "another label.")  # fmt: skip
    if not preview.comparisons:
        warnings.append("The candidate has not been measured on any dataset yet.")
    elif active is not None and not any(c.active for c in preview.comparisons):
        warnings.append("No dataset was measured for both models: there is nothing to compare them on.")
    for compared in preview.comparisons:
        if compared.clearly_worse:
            warnings.append(f"On {compared.dataset}/{compared.split} the candidate is clearly less accurate "
                            f"({compared.candidate.accuracy:.1%} vs {compared.active.accuracy:.1%}).")  # fmt: skip
        if compared.candidate.items < 100:
            warnings.append(f"Only {compared.candidate.items} item{'s' if compared.candidate.items != 1 else ''} on "
                            f"{compared.dataset}/{compared.split}: its accuracy says little.")  # fmt: skip
    return warnings
