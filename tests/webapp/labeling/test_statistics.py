"""Agreement on real crowd votes: FER+'s ten taggers per face, replayed as ten annotators."""

import csv

import numpy as np
import pytest

from tests.archives import FERPLUS_SMALL
from webapp.labeling import exports, services
from webapp.labeling.models import Assignment, SessionItem
from webapp.labeling.statistics import session_statistics

pytestmark = pytest.mark.django_db

# FER+ columns and what an annotator in this app answers for each.
FERPLUS_ANSWERS = [
    {"emotion": "neutral"}, {"emotion": "happy"}, {"emotion": "surprise"}, {"emotion": "sad"},
    {"emotion": "anger"}, {"emotion": "disgust"}, {"emotion": "fear"}, {"emotion": "contempt"},
    {"unsure": True}, {"not_face": True},
]  # fmt: skip
OURS = ["neutral", "happy", "sad", "surprise", "fear", "disgust", "anger", "contempt", "not_face"]
FERPLUS_TO_OURS = [0, 1, 3, 2, 6, 5, 4, 7, None, 8]  # FER+ column -> our category (None: unsure)


def _ferplus_votes() -> dict[str, list[int]]:
    with open(FERPLUS_SMALL / "FER2013Valid" / "label.csv") as handle:
        return {f"FER2013Valid/{row[0]}": [int(v) for v in row[2:]] for row in csv.reader(handle)}


def _replay_votes(session, annotators):
    """Annotator k answers item i with the k-th of its ten votes, in column order."""
    votes = _ferplus_votes()
    for session_item in SessionItem.objects.filter(session=session).select_related("item"):
        answers = [FERPLUS_ANSWERS[c] for c, n in enumerate(votes[session_item.item.source_name]) for _ in range(n)]
        for annotator, answer in zip(annotators, answers, strict=False):
            assignment = Assignment.objects.create(
                session_item=session_item, annotator=annotator, expires_at="2100-01-01T00:00Z"
            )
            services.submit(assignment, annotator, duration_ms=1000, **answer)
    return votes


def _fleiss_kappa_by_hand(table: np.ndarray) -> float:
    """Fleiss (1971), written out: P_i per item with its own n_i, P_e from category shares."""
    table = table[table.sum(axis=1) >= 2]
    n = table.sum(axis=1)
    p_i = [(sum(c * (c - 1) for c in row)) / (k * (k - 1)) for row, k in zip(table, n, strict=True)]
    p_j = table.sum(axis=0) / n.sum()
    p_bar, p_e = sum(p_i) / len(p_i), sum(p * p for p in p_j)
    return (p_bar - p_e) / (1 - p_e)


def test_ferplus_votes_replayed_as_annotators(ferplus_small, admin_user, make_annotators):
    session = services.create_session(dataset=ferplus_small, name="fer+", user=admin_user, labels_per_item=10)
    votes = _replay_votes(session, make_annotators(10))
    stats = session_statistics(session)

    # Kappa: the same as the formula on the vote table (unsure = "unknown" votes left out).
    table = np.zeros((len(votes), len(OURS)), dtype=int)
    for row, counts in enumerate(votes.values()):
        for column, count in enumerate(counts):
            if FERPLUS_TO_OURS[column] is not None:
                table[row, FERPLUS_TO_OURS[column]] += count
    assert stats.fleiss_kappa == pytest.approx(_fleiss_kappa_by_hand(table), abs=1e-12)
    assert stats.annotations == sum(map(sum, votes.values()))

    # Majority: FER+'s own majority label wherever it is a single emotion or "not a face".
    names = dict(SessionItem.objects.filter(session=session).values_list("item_id", "item__source_name"))
    for item_id, aggregate in stats.aggregates.items():
        counts = votes[names[item_id]]
        top = int(np.argmax(counts))
        if counts.count(max(counts)) == 1 and FERPLUS_TO_OURS[top] is not None:
            assert aggregate.majority == OURS[FERPLUS_TO_OURS[top]], names[item_id]
            assert not aggregate.tied


def test_ferplus_style_export_gives_back_the_votes(ferplus_small, admin_user, make_annotators):
    session = services.create_session(dataset=ferplus_small, name="fer+", user=admin_user, labels_per_item=10)
    votes = _replay_votes(session, make_annotators(10))
    rows = list(csv.reader(exports.ferplus_csv(session).splitlines()))
    assert {f"FER2013Valid/{r[0]}": [int(v) for v in r[2:]] for r in rows} == votes
    assert rows[0][1] == "(0, 0, 48, 48)"


def test_per_annotator_figures_and_gold(fer_small, admin_user, make_annotators):
    session = services.create_session(dataset=fer_small, name="g", user=admin_user, gold_rate=0.5, labels_per_item=2)
    careful, careless = make_annotators(2)
    gold = dict(SessionItem.objects.filter(session=session, is_gold=True).values_list("pk", "gold_emotion"))
    for annotator in (careful, careless):
        while assignment := services.next_assignment(session, annotator):
            right = gold.get(assignment.session_item_id, "happy")
            answer = right if annotator is careful else "contempt"
            services.submit(assignment, annotator, emotion=answer, duration_ms=2000)
    rows = {row.username: row for row in session_statistics(session).annotators}
    assert rows[careful.username].gold_accuracy == 1.0
    assert rows[careless.username].gold_accuracy == 0.0
    assert rows[careful.username].median_seconds == 2.0 and rows[careful.username].labels_per_minute == 30.0
