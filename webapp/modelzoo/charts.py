"""The leaderboard's picture: accuracy against CPU latency per face, one point per model version.

Accuracies are comparable only on the same data, so the chart uses the dataset split that
the most versions were measured on (named in its caption). Latency runs on a log axis: the
versions span 1 to 100+ ms. Coordinates are placed here and drawn by the template as inline
SVG, as the labeling session's plots are.
"""

from __future__ import annotations

import math
from collections import Counter

from webapp.modelzoo.comparison import measured
from webapp.modelzoo.models import Evaluation, ModelVersion

LEFT, TOP, WIDTH, HEIGHT = 56, 14, 460, 240


def _f(value: float) -> str:
    return f"{value:.1f}"


def accuracy_latency(versions: list[ModelVersion]) -> dict | None:
    """Points (latency, accuracy) on the most-measured dataset split; None when fewer than one point."""
    timed = {v.pk: v for v in versions if v.cpu_latency_ms}
    evaluations = [e for e in Evaluation.objects.filter(model_version__in=timed).select_related("dataset")
                   if "accuracy" in e.metrics]  # fmt: skip
    if not evaluations:
        return None
    split_counts = Counter((e.dataset.name, e.split) for e in evaluations)
    dataset, split = max(split_counts, key=lambda key: (split_counts[key], key))
    points = []
    for e in evaluations:
        m = measured(e) if (e.dataset.name, e.split) == (dataset, split) else None
        if m is not None:
            points.append((timed[e.model_version_id], m))
    if not points:
        return None
    low_ms = min(v.cpu_latency_ms for v, _ in points)
    high_ms = max(v.cpu_latency_ms for v, _ in points)
    x_min, x_max = 10 ** math.floor(math.log10(low_ms)), 10 ** math.ceil(math.log10(high_ms * 1.0001))
    y_min = max(0.0, math.floor(min(m.low for _, m in points) * 10) / 10)
    y_max = min(1.0, math.ceil(max(m.high for _, m in points) * 10) / 10)
    if y_max <= y_min:
        y_min, y_max = max(0.0, y_min - 0.1), min(1.0, y_max + 0.1)

    def x_of(ms: float) -> float:
        return LEFT + WIDTH * (math.log10(ms) - math.log10(x_min)) / (math.log10(x_max) - math.log10(x_min))

    def y_of(value: float) -> float:
        return TOP + HEIGHT * (1 - (value - y_min) / (y_max - y_min))

    drawn = [
        {"label": v.name, "tag": v.tag, "active": v.is_active, "x": _f(x_of(v.cpu_latency_ms)),
         "y": _f(y_of(m.accuracy)), "y_low": _f(y_of(m.low)), "y_high": _f(y_of(m.high)),
         "text": f"{v.name}: {m.accuracy:.1%} on {m.items:,} items (95% CI {m.low:.1%}–{m.high:.1%}), "
                 f"{v.cpu_latency_ms:.1f} ms per face" + (" (active)" if v.is_active else "")}
        for v, m in sorted(points, key=lambda p: p[0].cpu_latency_ms)
    ]  # fmt: skip
    decades = range(round(math.log10(x_min)), round(math.log10(x_max)) + 1)
    x_ticks = [{"at": _f(x_of(10**d)), "label": f"{10**d:g}"} for d in decades]
    steps = round((y_max - y_min) / 0.1)
    y_ticks = [{"at": _f(y_of(y_min + i * 0.1)), "label": f"{(y_min + i * 0.1):.0%}"} for i in range(steps + 1)]
    return {
        "dataset": dataset, "split": split, "points": drawn, "x_ticks": x_ticks, "y_ticks": y_ticks,
        "left": LEFT, "top": TOP, "right": LEFT + WIDTH, "bottom": TOP + HEIGHT,
        "width": LEFT + WIDTH + 150, "height": TOP + HEIGHT + 44,
        "summary": "; ".join(p["text"] for p in drawn),
    }  # fmt: skip
