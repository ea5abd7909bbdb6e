"""A run's curves per epoch, placed here and drawn by the template as inline SVG.

The same way as the labeling session's and the leaderboard's plots: the server computes the
coordinates, `training/_curves.html` draws them, and the run page's script only swaps in the
fragment (`views.run_curves`) when a new epoch arrived. Which validation figures a run shows
follows its task: accuracy and macro-F1 lie in [0, 1], V/A CCC in [-1, 1], keypoint RMSE is pixels.
"""

from __future__ import annotations

WIDTH, HEIGHT = 400, 200
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 20

# task -> (the history keys drawn, the fixed value range or None for the data's own, what they are)
METRICS: dict[str, tuple[tuple[str, ...], tuple[float, float] | None, str]] = {
    "keypoints": (("keypoint_rmse",), None, "keypoint RMSE (px)"),
    "va": (("va_ccc",), (-1.0, 1.0), "V/A CCC"),
    "both": (("accuracy", "macro_f1", "va_ccc"), (-1.0, 1.0), "accuracy, macro-F1 and V/A CCC"),
    "emotion": (("accuracy", "macro_f1"), (0.0, 1.0), "accuracy and macro-F1"),
}


def _f(value: float) -> str:
    return f"{value:.1f}"


def curve(history: list[dict], keys: tuple[str, ...], fixed: tuple[float, float] | None = None) -> dict:
    """Polylines for `keys` of the history (one point per epoch that has the key), with the axis range."""
    values = [e[k] for e in history for k in keys if e.get(k) is not None]
    low, high = fixed or ((min(values), max(values)) if values else (0.0, 1.0))
    if high - low < 1e-9:
        high = low + 1
    last_epoch = max([1, *(e["epoch"] for e in history)])

    def x(epoch: int) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (0.5 if last_epoch == 1 else (epoch - 1) / (last_epoch - 1))

    def y(value: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (value - low) / (high - low))

    lines = []
    for index, key in enumerate(keys):
        points = [(x(e["epoch"]), y(e[key])) for e in history if e.get(key) is not None]
        if points:
            lines.append({
                "key": key, "label_x": LEFT + 8 + index * 110,
                "points": " ".join(f"{_f(px)},{_f(py)}" for px, py in points),
                "dots": [{"x": _f(px), "y": _f(py)} for px, py in points],
            })  # fmt: skip
    return {
        "lines": lines, "high": f"{high:.3f}", "low": f"{low:.3f}", "last_epoch": last_epoch,
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "top": TOP,
        "right": WIDTH - RIGHT, "bottom": HEIGHT - BOTTOM,
    }  # fmt: skip


def run_curves(run) -> list[tuple[str, dict, str]]:
    """The run page's two charts as (element id, chart, caption): training loss, and its task's validation figures."""
    keys, fixed, what = METRICS.get(run.task, METRICS["emotion"])
    return [
        ("curve-loss", curve(run.history, ("train_loss",)), "Training loss per epoch"),
        ("curve-metrics", curve(run.history, keys, fixed), f"Validation {what} per epoch"),
    ]
