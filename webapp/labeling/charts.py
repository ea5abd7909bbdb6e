"""Geometry of the session page's plots, drawn as inline SVG by the template.

The numbers come from `statistics.session_statistics`; this module only places them, so
the page needs no JavaScript or chart library. Coordinates are strings with a dot as the
decimal mark (no template localisation can turn them into "0,5"). Each chart carries a
plain-text summary for its <desc>, the text alternative screen readers announce.
"""

from __future__ import annotations

from webapp.labeling.statistics import CATEGORIES, SessionStatistics

# Label distribution: one row per class, a majority bar and a Dawid-Skene bar.
BARS_WIDTH, BARS_LABEL, BARS_AREA, BARS_ROW = 560, 90, 400, 30
# Annotator scatter plots: the plotting area and its margins.
PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, PLOT_HEIGHT = 48, 12, 300, 220
# The circumplex shows at most this many items, the first by item id (a page stays light).
MAX_VA_POINTS = 2000


def _f(value: float) -> str:
    return f"{value:.1f}"


def label_distribution(stats: SessionStatistics) -> dict | None:
    """How many answered items each class wins by majority vote (ties apart) and by Dawid-Skene."""
    aggregates = [a for a in stats.aggregates.values() if a.majority]
    if not aggregates:
        return None
    majority = {c: sum(1 for a in aggregates if a.majority == c and not a.tied) for c in CATEGORIES}
    dawid_skene = {c: sum(1 for a in aggregates if a.dawid_skene == c) for c in CATEGORIES}
    tied = sum(1 for a in aggregates if a.tied)
    names = [*CATEGORIES, "tied"] if tied else list(CATEGORIES)
    largest = max([*majority.values(), *dawid_skene.values(), tied]) or 1
    rows = []
    for index, name in enumerate(names):
        m = tied if name == "tied" else majority[name]
        d = None if name == "tied" else dawid_skene[name]
        rows.append(_bar_row(index, name.replace("_", " "), m, d, largest))
    summary = "; ".join(f"{r['label']}: majority {r['majority']}" + _ds_text(r) for r in rows)
    height = BARS_ROW * len(rows) + 30
    return {"rows": rows, "width": BARS_WIDTH, "height": height, "legend_y": _f(height - 10),
            "legend_box_y": _f(height - 19),
            "items": len(aggregates), "summary": summary}  # fmt: skip


def _ds_text(row: dict) -> str:
    return "" if row["dawid_skene"] is None else f", Dawid-Skene {row['dawid_skene']}"


def _bar_row(index: int, label: str, majority: int, dawid_skene: int | None, largest: int) -> dict:
    y = index * BARS_ROW
    scale = (BARS_AREA - 40) / largest  # room for the count after the longest bar
    return {
        "label": label,
        "label_y": _f(y + 19),
        "majority": majority,
        "majority_y": _f(y + 4),
        "majority_width": _f(majority * scale),
        "majority_text_x": _f(BARS_LABEL + majority * scale + 4),
        "dawid_skene": dawid_skene,
        "ds_y": _f(y + 16),
        "ds_width": _f((dawid_skene or 0) * scale),
        "ds_text_x": _f(BARS_LABEL + (dawid_skene or 0) * scale + 4),
    }


def annotator_scatter(stats: SessionStatistics, y_field: str) -> dict | None:
    """Agreement with the majority (x) against gold accuracy or labels per minute (y), one point per annotator.

    Agreement alone cannot tell a careful minority from a careless annotator; gold accuracy
    can, and speed shows who clicks through too fast to look.
    """
    points = [(a.username, a.agreement, getattr(a, y_field)) for a in stats.annotators]
    points = [(name, x, y) for name, x, y in points if x is not None and y is not None]
    if not points:
        return None
    y_max = 1.0 if y_field == "gold_accuracy" else _nice_ceiling(max(y for _, _, y in points))
    y_name = "gold accuracy" if y_field == "gold_accuracy" else "labels per minute"
    plotted = [_point(name, x, y, y_max, y_field) for name, x, y in points]
    return {
        "points": plotted,
        "x_ticks": _ticks(1.0, horizontal=True),
        "y_ticks": _ticks(y_max, horizontal=False),
        "y_name": y_name,
        "box": {"x": PLOT_LEFT, "y": PLOT_TOP, "width": PLOT_WIDTH, "height": PLOT_HEIGHT,
                "bottom": PLOT_TOP + PLOT_HEIGHT, "right": PLOT_LEFT + PLOT_WIDTH,
                "x_label_y": PLOT_TOP + PLOT_HEIGHT + 34, "x_label_x": PLOT_LEFT + PLOT_WIDTH / 2,
                "y_label_y": PLOT_TOP + PLOT_HEIGHT / 2},
        "summary": "; ".join(f"{p['username']}: agreement {p['x_text']}, {y_name} {p['y_text']}" for p in plotted),
    }  # fmt: skip


def _point(name: str, x: float, y: float, y_max: float, y_field: str) -> dict:
    return {
        "username": name,
        "cx": _f(PLOT_LEFT + x * PLOT_WIDTH),
        "cy": _f(PLOT_TOP + PLOT_HEIGHT - (y / y_max) * PLOT_HEIGHT),
        "x_text": f"{x:.2f}",
        "y_text": f"{y:.2f}" if y_field == "gold_accuracy" else f"{y:.1f}",
    }


def _nice_ceiling(value: float) -> float:
    """The axis end above `value`: 1, 2 or 5 times a power of ten, so tick labels stay round."""
    if value <= 0:
        return 1.0
    power = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _ticks(maximum: float, horizontal: bool) -> list[dict]:
    ticks = []
    for i in range(5):
        value = maximum * i / 4
        text = f"{value:g}" if maximum > 1 else f"{value:.2f}"
        if horizontal:
            ticks.append({"pos": _f(PLOT_LEFT + i / 4 * PLOT_WIDTH), "text": text})
        else:
            ticks.append({"pos": _f(PLOT_TOP + PLOT_HEIGHT - i / 4 * PLOT_HEIGHT), "text": text})
    return ticks


def va_points(stats: SessionStatistics) -> dict | None:
    """Each item's mean valence/arousal on the circumplex (SVG y grows downwards: arousal is negated)."""
    rated = [a for a in sorted(stats.aggregates.values(), key=lambda a: a.item_id) if a.valence is not None]
    if not rated:
        return None
    shown = rated[:MAX_VA_POINTS]
    points = [
        {"cx": f"{a.valence:.3f}", "cy": f"{-a.arousal:.3f}",
         "title": f"item {a.item_id}: valence {a.valence:.2f}, arousal {a.arousal:.2f} (mean of {a.labels})"}
        for a in shown
    ]  # fmt: skip
    quadrants = {
        "pleasant, aroused": sum(1 for a in rated if a.valence >= 0 and a.arousal >= 0),
        "unpleasant, aroused": sum(1 for a in rated if a.valence < 0 and a.arousal >= 0),
        "unpleasant, calm": sum(1 for a in rated if a.valence < 0 and a.arousal < 0),
        "pleasant, calm": sum(1 for a in rated if a.valence >= 0 and a.arousal < 0),
    }
    summary = f"{len(rated)} items rated; " + ", ".join(f"{name}: {n}" for name, n in quadrants.items())
    return {"points": points, "rated": len(rated), "shown": len(shown), "summary": summary}
