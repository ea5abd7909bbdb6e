"""Crowd labels: agreement statistics and label aggregation, as pure NumPy functions.

Annotations are three parallel integer arrays (item, annotator, label) — the shape a
database query returns — or, for statistics that ignore who labelled, an items x classes
vote-count matrix such as FER+'s label.csv.
"""

from ml.crowd.aggregation import (
    DawidSkeneResult,
    annotator_agreement,
    continuous_summary,
    dawid_skene,
    dawid_skene_shortfall,
    majority_vote,
    vote_counts,
)
from ml.crowd.agreement import fleiss_kappa, krippendorff_alpha

__all__ = [
    "DawidSkeneResult",
    "annotator_agreement",
    "continuous_summary",
    "dawid_skene",
    "dawid_skene_shortfall",
    "fleiss_kappa",
    "krippendorff_alpha",
    "majority_vote",
    "vote_counts",
]
