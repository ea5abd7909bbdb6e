"""Dawid-Skene on thin and on well-posed answers: never a label nobody gave, and the same answers
as crowd-kit's reference implementation where the problem is well-posed."""

import csv
from pathlib import Path

import numpy as np
import pandas as pd
from crowdkit.aggregation import DawidSkene

from ml.crowd import dawid_skene, dawid_skene_shortfall, majority_vote, vote_counts

# 34 answers of a real small session (3 annotators, 21 faces; classes in (*EMOTIONS, "not_face")
# order). Plain EM gave 4 of its 8 one-vote items a label nobody chose.
THIN_ITEMS = [1, 12, 13, 14, 15, 17, 19, 18, 9, 16, 20, 11, 3, 7, 12, 13, 14, 15, 19, 18, 9, 16, 5, 20, 11, 3, 10, 2,
              10, 6, 8, 0, 17, 4]  # fmt: skip
THIN_ANNOTATORS = [0] * 13 + [1] * 15 + [0, 0, 0, 2, 2, 2]
THIN_LABELS = [1, 4, 4, 4, 4, 4, 5, 5, 6, 4, 5, 6, 6, 6, 4, 3, 4, 4, 5, 3, 6, 4, 0, 5, 8, 2, 6, 2, 6, 6, 6, 1, 4, 2]
VOTES = Path(__file__).parents[2] / "fixtures" / "crowd" / "ferplus_valid_votes.csv"


def test_thin_answers_never_give_a_label_nobody_chose():
    result = dawid_skene(THIN_ITEMS, THIN_ANNOTATORS, THIN_LABELS, 9)
    counts = vote_counts(THIN_ITEMS, THIN_LABELS, 21, 9)
    one_vote = np.flatnonzero(counts.sum(axis=1) == 1)
    assert len(one_vote) == 8
    assert result.labels[one_vote].tolist() == counts[one_vote].argmax(axis=1).tolist()
    assert all(counts[i, result.labels[i]] > 0 for i in range(21))
    # The priors no longer collapse: a class someone chose keeps a real share.
    assert result.priors.min() > 0.02


def test_thin_answers_are_flagged_as_too_few():
    reason = dawid_skene_shortfall(THIN_ITEMS, THIN_ANNOTATORS)
    assert reason is not None and "answers per item" in reason and "13 items" in reason


def _crowdkit_labels(items, annotators, labels) -> np.ndarray:
    frame = pd.DataFrame({"task": items, "worker": annotators, "label": labels})
    predicted = DawidSkene(n_iter=100, tol=1e-6).fit_predict(frame)
    return predicted.sort_index().to_numpy()


def _simulated(num_items=800, num_classes=5, accuracies=(0.9, 0.8, 0.7, 0.6, 0.45), seed=3):
    rng = np.random.default_rng(seed)
    truth = rng.choice(num_classes, size=num_items, p=[0.4, 0.25, 0.15, 0.12, 0.08])
    items, annotators, labels = [], [], []
    for annotator, accuracy in enumerate(accuracies):
        right = rng.random(num_items) < accuracy
        wrong = (truth + rng.integers(1, num_classes, size=num_items)) % num_classes
        items += list(range(num_items))
        annotators += [annotator] * num_items
        labels += np.where(right, truth, wrong).tolist()
    return truth, np.array(items), np.array(annotators), np.array(labels)


def test_well_posed_synthetic_answers_match_crowdkit():
    truth, items, annotators, labels = _simulated()
    ours = dawid_skene(items, annotators, labels, 5)
    theirs = _crowdkit_labels(items, annotators, labels)
    assert (ours.labels == theirs).mean() >= 0.99
    assert (ours.labels == truth).mean() >= (theirs == truth).mean() - 0.005
    assert dawid_skene_shortfall(items, annotators) is None


def _ferplus_answers(seed=0):
    """FER+ vote counts as answers; the 10 taggers of an image, in a seeded order, are slots 0-9."""
    rng = np.random.default_rng(seed)
    items, annotators, labels = [], [], []
    with VOTES.open(newline="") as handle:
        for item, row in enumerate(csv.reader(handle)):
            answers = np.repeat(np.arange(10), [int(v) for v in row[2:12]])
            rng.shuffle(answers)
            items += [item] * len(answers)
            annotators += list(range(len(answers)))
            labels += answers.tolist()
    return np.array(items), np.array(annotators), np.array(labels)


def test_ferplus_votes_agree_with_crowdkit_where_the_crowd_is_clear():
    # FER+ has no annotator ids, so per-slot confusion matrices are only loosely identified;
    # where the votes leave no doubt (the top class leads by 4 or more of 10), both
    # implementations must give the crowd's answer.
    items, annotators, labels = _ferplus_answers()
    ours = dawid_skene(items, annotators, labels, 10)
    theirs = _crowdkit_labels(items, annotators, labels)
    counts = vote_counts(items, labels, items.max() + 1, 10)
    top_two = np.sort(counts, axis=1)[:, -2:]
    clear = top_two[:, 1] - top_two[:, 0] >= 4
    majority, _ = majority_vote(counts)
    assert clear.sum() > 500
    assert (ours.labels[clear] == theirs[clear]).mean() >= 0.95
    assert (ours.labels[clear] == majority[clear]).mean() >= 0.95
