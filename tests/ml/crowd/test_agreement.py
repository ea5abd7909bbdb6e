"""Agreement statistics against published worked examples and brute-force definitions."""

import itertools

import numpy as np
import pytest

from ml.crowd import fleiss_kappa, krippendorff_alpha

# Fleiss (1971) style example as worked on Wikipedia's "Fleiss' kappa" page: 10 items,
# 14 raters, 5 categories; kappa = 0.210.
FLEISS_EXAMPLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: 4 observers,
# 12 units, missing values as None. Published: nominal 0.743, interval 0.849.
KRIPPENDORFF_EXAMPLE = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def _pairs(table):
    items, values = [], []
    for row in table:
        for unit, value in enumerate(row):
            if value is not None:
                items.append(unit)
                values.append(value)
    return np.array(items), np.array(values, dtype=float)


def test_fleiss_kappa_worked_example():
    assert fleiss_kappa(np.array(FLEISS_EXAMPLE)) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_extremes():
    assert fleiss_kappa(np.array([[3, 0], [0, 3], [3, 0]])) == pytest.approx(1.0)
    assert fleiss_kappa(np.array([[5, 0], [5, 0]])) == 1.0  # one category only
    assert fleiss_kappa(np.array([[1, 1], [1, 1]])) == pytest.approx(-1.0)


def test_fleiss_kappa_rejects_bad_input():
    with pytest.raises(ValueError, match="two or more votes"):
        fleiss_kappa(np.array([[1, 0], [0, 1]]))
    with pytest.raises(ValueError, match="negative"):
        fleiss_kappa(np.array([[3, -1]]))


@pytest.mark.parametrize(("metric", "published"), [("nominal", 0.743), ("interval", 0.849)])
def test_krippendorff_alpha_worked_example(metric, published):
    items, values = _pairs(KRIPPENDORFF_EXAMPLE)
    assert krippendorff_alpha(items, values, metric) == pytest.approx(published, abs=5e-4)


def _alpha_by_definition(items, values, metric):
    """Pair-by-pair definition, for checking the closed forms on random data."""
    delta = (lambda a, b: float(a != b)) if metric == "nominal" else (lambda a, b: (a - b) ** 2)
    units = {}
    for item, value in zip(items, values, strict=True):
        units.setdefault(item, []).append(value)
    units = [u for u in units.values() if len(u) >= 2]
    pooled = [v for u in units for v in u]
    n = len(pooled)
    observed = sum(sum(delta(a, b) for a, b in itertools.permutations(u, 2)) / (len(u) - 1) for u in units) / n
    expected = sum(delta(a, b) for a, b in itertools.permutations(pooled, 2)) / (n * (n - 1))
    return 1 - observed / expected


@pytest.mark.parametrize("metric", ["nominal", "interval"])
def test_krippendorff_alpha_matches_the_definition_on_random_data(metric):
    rng = np.random.default_rng(7)
    items = rng.integers(0, 25, size=90)
    truth = rng.integers(0, 4, size=25)
    values = np.where(rng.random(90) < 0.7, truth[items], rng.integers(0, 4, size=90)).astype(float)
    if metric == "interval":
        values = values / 3 * 2 - 1 + rng.normal(0, 0.1, size=90)
    assert krippendorff_alpha(items, values, metric) == pytest.approx(_alpha_by_definition(items, values, metric))


def test_krippendorff_alpha_rejects_unpairable_data():
    with pytest.raises(ValueError, match="two or more values"):
        krippendorff_alpha(np.array([0, 1, 2]), np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="metric"):
        krippendorff_alpha(np.array([0, 0]), np.array([1.0, 2.0]), "ordinal-ish")
