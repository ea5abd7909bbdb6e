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
    labels: np.ndarray  # items: most probable true class among those the item was given
    confusion: np.ndarray  # annotators x true classes x given labels
    priors: np.ndarray  # classes
    iterations: int

    def annotator_accuracy(self) -> np.ndarray:
        """Estimated probability that each annotator gives the true class, under the priors."""
        diagonal = np.diagonal(self.confusion, axis1=1, axis2=2)
        return diagonal @ self.priors


# Dirichlet pseudo-counts of the MAP estimate (see `dawid_skene`). The confusion prior says
# "an annotator is right about 70% of the time" with the weight of about three answers, so it
# steers a confusion row only while that annotator has given few answers of that class.
CLASS_PRIOR = 1.0
CONFUSION_DIAGONAL_PRIOR = 2.0
CONFUSION_OFF_DIAGONAL_PRIOR = 0.1


def dawid_skene(
    items,
    annotators,
    labels,
    num_classes: int,
    max_iterations: int = 100,
    tolerance: float = 1e-6,
    class_prior: float = CLASS_PRIOR,
    diagonal_prior: float = CONFUSION_DIAGONAL_PRIOR,
    off_diagonal_prior: float = CONFUSION_OFF_DIAGONAL_PRIOR,
) -> DawidSkeneResult:
    """Dawid & Skene (1979) EM: each annotator has a confusion matrix, items a latent class.

    Plain maximum-likelihood EM collapses on thin data: with a few answers per item a class
    prior falls to zero and items whose only vote was that class are handed to another one
    (the same happens in crowd-kit's `DawidSkene`). So the M step is a MAP estimate under
    Dirichlet priors (pseudo-counts `class_prior` on every class, `diagonal_prior` /
    `off_diagonal_prior` on each confusion row), and an item's label is the most probable
    class among the labels it was actually given: the aggregate may choose between the
    answers, never invent one. With plenty of answers the priors weigh next to nothing and
    the result is the classic one. Starts from majority-vote posteriors.
    """
    items, annotators, labels = (np.asarray(a, dtype=np.int64) for a in (items, annotators, labels))
    if not (items.shape == annotators.shape == labels.shape) or items.size == 0:
        raise ValueError("items, annotators and labels must be non-empty arrays of the same length")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"labels must lie in 0..{num_classes - 1}")
    num_items, num_annotators = items.max() + 1, annotators.max() + 1
    counts = vote_counts(items, labels, num_items, num_classes).astype(np.float64)
    posteriors = (counts + 1e-9) / (counts + 1e-9).sum(axis=1, keepdims=True)
    row_prior = np.full((num_classes, num_classes), off_diagonal_prior)
    np.fill_diagonal(row_prior, diagonal_prior)

    for iteration in range(1, max_iterations + 1):  # noqa: B007 (reported in the result)
        # M step: class priors and each annotator's confusion matrix from current posteriors.
        priors = posteriors.sum(axis=0) + class_prior
        priors /= priors.sum()
        confusion = np.tile(row_prior, (num_annotators, 1, 1))
        np.add.at(confusion, (annotators, slice(None), labels), posteriors[items])
        confusion /= confusion.sum(axis=2, keepdims=True)
        # E step: posterior of each item's class given all its labels.
        log_post = np.tile(np.log(priors), (num_items, 1))
        np.add.at(log_post, items, np.log(confusion[annotators, :, labels]))
        log_post -= log_post.max(axis=1, keepdims=True)
        new = np.exp(log_post)
        new /= new.sum(axis=1, keepdims=True)
        change = np.abs(new - posteriors).max()
        posteriors = new
        if change < tolerance:
            break
    return DawidSkeneResult(posteriors, _best_given_label(posteriors, counts), confusion, priors, iteration)


def _best_given_label(posteriors: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per item, the most probable class among those it received a vote for."""
    given = counts > 0
    given[~given.any(axis=1)] = True  # an item with no answer (a gap in the ids): any class
    return np.where(given, posteriors, -1.0).argmax(axis=1)


# When Dawid-Skene has enough to go on: it estimates a confusion matrix per annotator from
# items that several annotators answered, so it needs overlap, not just answers.
MIN_SHARED_ITEMS = 20
MIN_ANSWERS_PER_ITEM = 2.0


def dawid_skene_shortfall(items, annotators) -> str | None:
    """Why Dawid-Skene can't be trusted on these answers yet, or None when it can.

    A rule of thumb, not a test: at least two annotators, on average at least
    `MIN_ANSWERS_PER_ITEM` answers an item, and at least `MIN_SHARED_ITEMS` items answered by
    two or more annotators. Below that, majority vote is the safer aggregate.
    """
    items, annotators = np.asarray(items, dtype=np.int64), np.asarray(annotators, dtype=np.int64)
    if items.size == 0:
        return "no answers yet"
    pairs = np.unique(np.stack([items, annotators], axis=1), axis=0)
    per_item = np.bincount(pairs[:, 0])
    answered = per_item[per_item > 0]
    shared = int((answered >= 2).sum())
    reasons = []
    if len(np.unique(annotators)) < 2:
        reasons.append("only one annotator")
    if items.size / len(answered) < MIN_ANSWERS_PER_ITEM:
        reasons.append(f"{items.size / len(answered):.1f} answers per item (needs {MIN_ANSWERS_PER_ITEM:g})")
    if shared < MIN_SHARED_ITEMS:
        reasons.append(f"{shared} item{'s' if shared != 1 else ''} answered by two or more annotators "
                       f"(needs {MIN_SHARED_ITEMS})")  # fmt: skip
    return "; ".join(reasons) or None


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
