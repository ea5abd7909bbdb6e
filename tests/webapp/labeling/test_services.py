"""Handing out items, recording answers, undo/skip, sessions' item selection and gold items."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from webapp.datasets.models import Label
from webapp.labeling import services
from webapp.labeling.models import Annotation, Assignment, SessionItem

pytestmark = pytest.mark.django_db


def _session(dataset, admin_user, **options):
    return services.create_session(dataset=dataset, name="s", user=admin_user, **options)


def test_selection_by_split_and_unlabeled(fer_small, admin_user):
    assert _session(fer_small, admin_user).session_items.count() == 21
    assert _session(fer_small, admin_user, split="val").session_items.count() == 7
    with pytest.raises(services.LabelingError, match="no items match"):
        _session(fer_small, admin_user, selection="unlabeled")


def test_one_label_per_item_means_nobody_gets_a_taken_item(fer_small, admin_user, make_annotators):
    session = _session(fer_small, admin_user, split="val")
    first, second = make_annotators(2)
    given = {first.pk: [], second.pk: []}
    for _ in range(7):
        for annotator in (first, second):
            assignment = services.next_assignment(session, annotator)
            if assignment:
                services.submit(assignment, annotator, emotion="happy", duration_ms=900)
                given[annotator.pk].append(assignment.session_item_id)
    assert not set(given[first.pk]) & set(given[second.pk])
    assert len(given[first.pk]) + len(given[second.pk]) == 7
    assert services.next_assignment(session, first) is None


def test_the_same_item_is_handed_out_again_until_answered(fer_small, admin_user, make_annotators):
    session = _session(fer_small, admin_user, split="val")
    (annotator,) = make_annotators(1)
    held = services.next_assignment(session, annotator)
    assert services.next_assignment(session, annotator).pk == held.pk  # a reload shows the same item
    other = services.next_assignment(session, annotator, holding=[held.pk])  # preloading the next one
    assert other.pk != held.pk


def test_expired_and_skipped_slots_are_freed(fer_small, admin_user, make_annotators):
    session = _session(fer_small, admin_user, split="val")
    first, second, third = make_annotators(3)
    kept = [services.next_assignment(session, first, holding=[]) for _ in range(1)]
    for _ in range(6):
        kept.append(services.next_assignment(session, first, holding=[a.pk for a in kept]))
    assert services.next_assignment(session, second) is None  # every slot is held
    Assignment.objects.filter(pk=kept[0].pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.next_assignment(session, second).session_item_id == kept[0].session_item_id
    services.skip(kept[1], first)
    assert services.next_assignment(session, third).session_item_id == kept[1].session_item_id


def test_undo_gives_the_item_back(fer_small, admin_user, make_annotators):
    session = _session(fer_small, admin_user, split="val")
    (annotator,) = make_annotators(1)
    assignment = services.next_assignment(session, annotator)
    services.submit(assignment, annotator, emotion="sad", duration_ms=1200)
    assert SessionItem.objects.get(pk=assignment.session_item_id).label_count == 1
    back = services.undo_last(session, annotator)
    assert back.pk == assignment.pk and back.status == "active"
    assert not Annotation.objects.exists()
    assert SessionItem.objects.get(pk=assignment.session_item_id).label_count == 0
    assert services.next_assignment(session, annotator).pk == assignment.pk
    assert services.undo_last(session, make_annotators(1, "other")[0]) is None


@pytest.mark.parametrize(
    ("ask", "answer", "message"),
    [
        ("emotion", {}, "asks for an emotion"),
        ("emotion", {"emotion": "joy"}, "unknown emotion 'joy'"),
        ("emotion", {"emotion": "happy", "unsure": True}, "give one of"),
        ("va", {"emotion": "happy"}, "asks for valence and arousal"),
        ("va", {"valence": 0.2}, "come together"),
        ("both", {"emotion": "happy", "valence": 2.0, "arousal": 0.0}, "must lie in"),
    ],
)
def test_answers_must_fit_the_question(fer_small, admin_user, make_annotators, ask, answer, message):
    session = _session(fer_small, admin_user, ask=ask)
    (annotator,) = make_annotators(1)
    assignment = services.next_assignment(session, annotator)
    with pytest.raises(services.LabelingError, match=message):
        services.submit(assignment, annotator, duration_ms=10, **answer)


def test_nobody_answers_for_someone_else_or_twice(fer_small, admin_user, make_annotators):
    session = _session(fer_small, admin_user)
    owner, intruder = make_annotators(2)
    assignment = services.next_assignment(session, owner)
    with pytest.raises(services.LabelingError, match="held by another annotator"):
        services.submit(assignment, intruder, emotion="happy", duration_ms=10)
    services.submit(assignment, owner, emotion="happy", duration_ms=10)
    with pytest.raises(services.LabelingError, match="already done"):
        services.submit(assignment, owner, emotion="sad", duration_ms=10)


def test_gold_items_are_mixed_in_at_the_chosen_rate(fer_small, admin_user, make_annotators):
    session = _session(fer_small, admin_user, gold_rate=0.2, labels_per_item=2)
    gold = SessionItem.objects.filter(session=session, is_gold=True)
    assert gold.count() == 4 and all(g.gold_emotion for g in gold)
    (annotator,) = make_annotators(1)
    shown = []
    for _ in range(15):
        assignment = services.next_assignment(session, annotator)
        services.submit(assignment, annotator, emotion="happy", duration_ms=10)
        shown.append(assignment.session_item.is_gold)
    assert 2 <= sum(shown) <= 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_annotators_never_share_the_last_slot(fer_small, admin_user, make_annotators):
    session = _session(fer_small, admin_user, split="val")  # 7 items, one label each
    annotators = make_annotators(12)
    results, errors = [], []

    def grab(annotator):
        try:
            assignment = services.next_assignment(session, annotator)
            if assignment:
                results.append(assignment.session_item_id)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=grab, args=(a,)) for a in annotators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == len(set(results)) == 7


def test_accepting_the_majority_adds_crowd_labels_and_keeps_the_old_ones(fer_small, admin_user, make_annotators):
    session = _session(fer_small, admin_user, split="val", labels_per_item=2)
    first, second = make_annotators(2)
    for annotator in (first, second):
        while assignment := services.next_assignment(session, annotator):
            services.submit(assignment, annotator, emotion="contempt", duration_ms=10)
    assert services.accept_aggregates(session, admin_user).labels_created == 7
    crowd = Label.objects.filter(source="crowd")
    assert crowd.count() == 7 and {label.emotion for label in crowd} == {"contempt"}
    assert Label.objects.filter(source="original").count() == 21
    from webapp.datasets.selectors import class_histogram

    assert class_histogram(fer_small)["val"] == {"contempt": 7}
