"""Turning several labels per item into one: majority vote, Dawid-Skene, VA summaries,
and how well each annotator agrees with the result."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def vote_counts(items, labels, num_items: int, num_classes: int) -> np.ndarray:
    """items x classes matrix of how many annotations gave each label."""
    counts = np.zeros((num_items, num_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(items), np.asarray(labels)), 1)
    return counts


def majority_vote(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Most-voted class per item and whether that item's top count was tied.

    Ties go to the lowest class index (deterministic, and the same rule as numpy's argmax,
    so results match a plain `counts.argmax(1)`); the `tied` flag lets callers send such
    items back for more labels instead of trusting the tie-break.
    """
    counts = np.asarray(counts)
    winner = counts.argmax(axis=1)
    top = counts.max(axis=1, keepdims=True)
    tied = (counts == top).sum(axis=1) > 1
    return winner, tied


@dataclass
class DawidSkeneResult:
    posteriors: np.ndarray  # items x classes: probability of each true class
    labels: np.ndarray  # items: most probable true class
    confusion: np.ndarray  # annotators x true classes x given labels
    priors: np.ndarray  # classes
    iterations: int

    def annotator_accuracy(self) -> np.ndarray:
        """Estimated probability that each annotator gives the true class, under the priors."""
        diagonal = np.diagonal(self.confusion, axis1=1, axis2=2)
        return diagonal @ self.priors


def dawid_skene(
    items, annotators, labels, num_classes: int, max_iterations: int = 100, tolerance: float = 1e-6
) -> DawidSkeneResult:
    """Dawid & Skene (1979) EM: each annotator has a confusion matrix, items a latent class.

    Starts from majority-vote posteriors; a small Laplace smoothing keeps confusion rows of
    annotators who never saw a class from collapsing to zero.
    """
    items, annotators, labels = (np.asarray(a, dtype=np.int64) for a in (items, annotators, labels))
    if not (items.shape == annotators.shape == labels.shape) or items.size == 0:
        raise ValueError("items, annotators and labels must be non-empty arrays of the same length")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"labels must lie in 0..{num_classes - 1}")
    num_items, num_annotators = items.max() + 1, annotators.max() + 1
    counts = vote_counts(items, labels, num_items, num_classes).astype(np.float64)
    posteriors = (counts + 1e-9) / (counts + 1e-9).sum(axis=1, keepdims=True)
    smoothing = 0.01

    for iteration in range(1, max_iterations + 1):  # noqa: B007 (reported in the result)
        # M step: class priors and each annotator's confusion matrix from current posteriors.
        priors = posteriors.mean(axis=0)
        confusion = np.full((num_annotators, num_classes, num_classes), smoothing)
        np.add.at(confusion, (annotators, slice(None), labels), posteriors[items])
        confusion /= confusion.sum(axis=2, keepdims=True)
        # E step: posterior of each item's class given all its labels.
        log_post = np.tile(np.log(priors + 1e-12), (num_items, 1))
        np.add.at(log_post, items, np.log(confusion[annotators, :, labels]))
        log_post -= log_post.max(axis=1, keepdims=True)
        new = np.exp(log_post)
        new /= new.sum(axis=1, keepdims=True)
        change = np.abs(new - posteriors).max()
        posteriors = new
        if change < tolerance:
            break
    return DawidSkeneResult(posteriors, posteriors.argmax(axis=1), confusion, priors, iteration)


def continuous_summary(items, values, num_items: int) -> dict[str, np.ndarray]:
    """Per-item mean, median, standard deviation and count of a continuous label (VA)."""
    items, values = np.asarray(items), np.asarray(values, dtype=np.float64)
    summary = {name: np.full(num_items, np.nan) for name in ("mean", "median", "std")}
    summary["count"] = np.bincount(items, minlength=num_items)
    order = np.argsort(items, kind="stable")
    boundaries = np.flatnonzero(np.diff(items[order])) + 1
    for group in np.split(order, boundaries):
        if len(group):
            item, vals = items[group[0]], values[group]
            summary["mean"][item], summary["median"][item], summary["std"][item] = (
                vals.mean(),
                np.median(vals),
                vals.std(),
            )
    return summary


def annotator_agreement(items, annotators, labels, consensus: np.ndarray) -> dict[int, float]:
    """Share of each annotator's labels that equal the item's consensus label."""
    items, annotators, labels = (np.asarray(a) for a in (items, annotators, labels))
    hits = labels == np.asarray(consensus)[items]
    return {int(a): float(hits[annotators == a].mean()) for a in np.unique(annotators)}
