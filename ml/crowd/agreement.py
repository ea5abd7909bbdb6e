"""Inter-annotator agreement: Fleiss' kappa and Krippendorff's alpha.

Both use closed forms for the sums over value pairs, so FER+'s 3,579 items x 10 votes
(or a whole labeling session) take milliseconds instead of billions of pair comparisons.
"""

from __future__ import annotations

import numpy as np


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa (1971) from an items x categories matrix of vote counts.

    Items with fewer than two votes carry no agreement information and are left out. With
    the same number of raters per item this is exactly Fleiss' formula; with varying
    numbers, each item's agreement P_i uses its own n_i (the usual generalisation).
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 2:
        raise ValueError(f"counts must be items x categories, got shape {counts.shape}")
    if (counts < 0).any():
        raise ValueError("vote counts cannot be negative")
    per_item = counts.sum(axis=1)
    counts, per_item = counts[per_item >= 2], per_item[per_item >= 2]
    if len(counts) == 0:
        raise ValueError("Fleiss' kappa needs at least one item with two or more votes")
    agreement = ((counts**2).sum(axis=1) - per_item) / (per_item * (per_item - 1))
    category_share = counts.sum(axis=0) / per_item.sum()
    expected = float((category_share**2).sum())
    if expected == 1.0:
        return 1.0  # every vote in one category: perfect, if trivial, agreement
    return float((agreement.mean() - expected) / (1.0 - expected))


def krippendorff_alpha(items, values, metric: str = "nominal") -> float:
    """Krippendorff's alpha for (item, value) pairs, any number of values per item.

    `metric` is "nominal" (emotion classes) or "interval" (valence, arousal). Missing
    labels are simply absent pairs; items with a single value are not pairable and are
    left out, as Krippendorff (2011, "Computing Krippendorff's alpha-reliability") does.
    alpha = 1 - D_observed / D_expected.
    """
    items = np.asarray(items)
    values = np.asarray(values, dtype=np.float64)
    if items.shape != values.shape or items.ndim != 1:
        raise ValueError("items and values must be 1-D arrays of the same length")
    if metric not in ("nominal", "interval"):
        raise ValueError(f"metric must be 'nominal' or 'interval', got {metric!r}")
    _, unit, per_unit = np.unique(items, return_inverse=True, return_counts=True)
    pairable = per_unit[unit] >= 2
    unit, values = unit[pairable], values[pairable]
    if len(values) == 0:
        raise ValueError("Krippendorff's alpha needs at least one item with two or more values")
    _, unit = np.unique(unit, return_inverse=True)
    m = np.bincount(unit)  # values per pairable unit
    n = len(values)

    if metric == "nominal":
        _, category = np.unique(values, return_inverse=True)
        in_unit = np.zeros((len(m), category.max() + 1))
        np.add.at(in_unit, (unit, category), 1)
        # sum over ordered pairs i != j in a unit of [v_i != v_j] = m^2 - sum_c n_uc^2
        within = (m**2 - (in_unit**2).sum(axis=1)) / (m - 1)
        total = n**2 - (np.bincount(category) ** 2).sum()
    else:
        # sum over ordered pairs of (v_i - v_j)^2 = 2 m sum v^2 - 2 (sum v)^2
        sums, squares = np.bincount(unit, values), np.bincount(unit, values**2)
        within = (2 * m * squares - 2 * sums**2) / (m - 1)
        total = 2 * n * (values**2).sum() - 2 * values.sum() ** 2
    observed = within.sum() / n
    expected = total / (n * (n - 1))
    if expected == 0:
        return 1.0  # no variation at all: nothing to disagree about
    return float(1.0 - observed / expected)
