"""Aggregating crowd labels: majority vote, Dawid-Skene on simulated annotators, VA summaries."""

import numpy as np
import pytest

from ml.crowd import annotator_agreement, continuous_summary, dawid_skene, majority_vote, vote_counts


def test_vote_counts_and_majority_with_ties():
    counts = vote_counts([0, 0, 0, 1, 1], [2, 2, 1, 0, 1], num_items=2, num_classes=3)
    assert counts.tolist() == [[0, 1, 2], [1, 1, 0]]
    winner, tied = majority_vote(counts)
    assert winner.tolist() == [2, 0] and tied.tolist() == [False, True]


def _simulate(accuracies, num_items=600, num_classes=4, seed=0):
    """Every annotator labels every item: right with its accuracy, else a uniform wrong class."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, num_classes, size=num_items)
    items, annotators, labels = [], [], []
    for annotator, accuracy in enumerate(accuracies):
        right = rng.random(num_items) < accuracy
        wrong = (truth + rng.integers(1, num_classes, size=num_items)) % num_classes
        items.append(np.arange(num_items))
        annotators.append(np.full(num_items, annotator))
        labels.append(np.where(right, truth, wrong))
    return truth, np.concatenate(items), np.concatenate(annotators), np.concatenate(labels)


def test_dawid_skene_recovers_planted_annotator_reliabilities():
    planted = np.array([0.95, 0.85, 0.7, 0.5, 0.3])
    truth, items, annotators, labels = _simulate(planted)
    result = dawid_skene(items, annotators, labels, num_classes=4)
    assert np.abs(result.annotator_accuracy() - planted).max() < 0.06
    assert result.posteriors.shape == (600, 4)
    assert np.allclose(result.posteriors.sum(axis=1), 1)
    # Weighting annotators by reliability beats counting their votes equally.
    majority, _ = majority_vote(vote_counts(items, labels, 600, 4))
    assert (result.labels == truth).mean() >= (majority == truth).mean()
    assert (result.labels == truth).mean() > 0.95


def test_dawid_skene_rejects_labels_out_of_range():
    with pytest.raises(ValueError, match="labels must lie in 0..3"):
        dawid_skene([0], [0], [4], num_classes=4)


def test_continuous_summary_per_item():
    summary = continuous_summary([0, 0, 0, 2], [0.1, 0.5, 0.3, -0.4], num_items=3)
    assert summary["mean"][0] == pytest.approx(0.3) and summary["median"][0] == pytest.approx(0.3)
    assert summary["std"][0] == pytest.approx(np.std([0.1, 0.5, 0.3]))
    assert np.isnan(summary["mean"][1]) and summary["count"].tolist() == [3, 0, 1]
    assert summary["mean"][2] == pytest.approx(-0.4)


def test_annotator_agreement_with_consensus():
    agreement = annotator_agreement([0, 1, 0, 1], [7, 7, 9, 9], [1, 2, 1, 0], consensus=np.array([1, 2]))
    assert agreement == {7: 1.0, 9: 0.5}
