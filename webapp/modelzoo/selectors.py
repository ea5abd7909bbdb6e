"""Reading model versions for the leaderboard: one row per version, a column per dataset x metric."""

from __future__ import annotations

from dataclasses import dataclass, field

from webapp.modelzoo.comparison import items_measured
from webapp.modelzoo.models import Evaluation, ModelVersion

# Metrics the leaderboard knows, in column order; a column appears only when some evaluation has it.
# Lower is better only for errors (RMSE).
METRICS = [("accuracy", "accuracy"), ("macro_f1", "macro-F1"), ("va_ccc", "VA CCC"),
           ("keypoint_rmse", "keypoint RMSE")]  # fmt: skip
LOWER_IS_BETTER = {"keypoint_rmse"}


@dataclass(frozen=True)
class Column:
    dataset: str
    split: str
    metric: str
    title: str

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.split}/{self.metric}"


@dataclass
class Cell:
    metric: str
    value: float | None
    items: int | None  # how many items the figure was measured on

    @property
    def display(self) -> str:
        """Accuracy as a percentage, other figures with two decimals (RMSE in pixels with one)."""
        if self.value is None:
            return "–"
        if self.metric == "accuracy":
            return f"{self.value:.1%}"
        return f"{self.value:.1f}" if self.metric in LOWER_IS_BETTER else f"{self.value:.2f}"


@dataclass
class Row:
    version: ModelVersion
    cells: list[Cell] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)


def leaderboard() -> tuple[list[Column], list[Row]]:
    versions = list(ModelVersion.objects.order_by("-is_active", "-created_at", "-id"))
    evaluations = list(Evaluation.objects.select_related("dataset").order_by("dataset__name", "split"))
    columns = sorted(
        {
            Column(e.dataset.name, e.split, key, title)
            for e in evaluations
            for key, title in METRICS
            if key in e.metrics
        },
        key=lambda c: (c.dataset, c.split, [k for k, _ in METRICS].index(c.metric)),
    )
    by_version: dict[int, dict[str, tuple[float, int | None]]] = {}
    evaluations_of: dict[int, list[Evaluation]] = {}
    for e in evaluations:
        evaluations_of.setdefault(e.model_version_id, []).append(e)
        items = items_measured(e)
        for key, _ in METRICS:
            if key in e.metrics:
                by_version.setdefault(e.model_version_id, {})[f"{e.dataset.name}/{e.split}/{key}"] = (
                    e.metrics[key], items
                )
    rows = []
    for v in versions:
        found = by_version.get(v.pk, {})
        cells = [Cell(c.metric, *found.get(c.key, (None, None))) for c in columns]
        rows.append(Row(v, cells, evaluations_of.get(v.pk, [])))
    return columns, rows



def versions_never_evaluated() -> list[ModelVersion]:
    return list(ModelVersion.objects.filter(evaluation_queued_at__isnull=True))
