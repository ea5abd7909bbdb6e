"""Labeling changes: creating sessions, handing out items, recording answers, accepting aggregates.

Slots: an item needs `labels_per_item` answers. A slot is filled by a finished assignment
or by an active one that has not expired; the next item for an annotator is one they
never held, with a free slot, least-filled first. Handing out runs in a transaction that
locks the chosen item's row (SQLite: the IMMEDIATE transaction mode serialises writers),
so two annotators never both receive its last slot.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from ml.taxonomy import EMOTIONS
from webapp.core.exceptions import ApplicationError
from webapp.datasets.models import Item, Label
from webapp.datasets.selectors import latest_label_emotion, latest_prediction
from webapp.labeling.models import Acceptance, Annotation, Assignment, LabelingSession, Participant, SessionItem
from worker.logs import job_context, job_id

log = logging.getLogger(__name__)
SESSION_JOB = "labeling.session"  # what a session's log lines carry: labeling.session:<id>

HOLD_FOR = timedelta(minutes=10)
CANDIDATES = 20


class LabelingError(ApplicationError):
    """A labeling request that cannot be carried out; the message is for the user (the API: 400)."""


# ---- sessions ---------------------------------------------------------------------------------


@transaction.atomic
def create_session(*, dataset, name: str, user=None, **options) -> LabelingSession:
    """Create a session and snapshot its items with their newest model prediction.

    Gold items are drawn from items with a known emotion.
    """
    session = LabelingSession.objects.create(dataset=dataset, name=name, created_by=user, **options)
    items = Item.objects.filter(dataset=dataset).annotate(
        current=latest_label_emotion(),
        predicted=latest_prediction("emotion"),
        predicted_top=latest_prediction("top_probability"),
        predicted_entropy=latest_prediction("entropy"),
    )
    if session.split:
        items = items.filter(split=session.split)
    items = _select(session, items)
    rows = list(items.values_list("pk", "current", "predicted", "predicted_entropy"))
    if not rows:
        raise LabelingError("no items match this selection")
    gold = _pick_gold([(pk, current) for pk, current, _, _ in rows], session.gold_rate, seed=session.pk)
    SessionItem.objects.bulk_create(
        SessionItem(
            session=session,
            item_id=pk,
            is_gold=pk in gold,
            gold_emotion=gold.get(pk, ""),
            prediction=predicted or "",
            uncertainty=entropy,
        )
        for pk, _, predicted, entropy in rows
    )
    with job_context(job_id(SESSION_JOB, session.pk)):
        log.info("created over dataset %r: %d items, %d gold, %d labels each", dataset.name, len(rows), len(gold),
                 session.labels_per_item)  # fmt: skip
    return session


def _select(session: LabelingSession, items):
    """The items the session's selection asks for."""
    Selection = LabelingSession.Selection
    if session.selection == Selection.UNLABELED:
        return items.filter(current__isnull=True)
    if session.selection == Selection.DISAGREEMENT:
        disagreeing = (
            Label.objects.filter(emotion__isnull=False).values("item").annotate(kinds=Count("emotion", distinct=True))
        )
        return items.filter(pk__in=disagreeing.filter(kinds__gt=1).values("item"))
    if session.selection == Selection.MODEL_UNSURE:
        if not items.filter(predicted__isnull=False).exists():
            raise LabelingError("no item has a model prediction yet: run 'Predict with active model' on the dataset")
        return items.filter(predicted_top__lt=session.unsure_below)
    return items


def _pick_gold(rows, rate: float, seed: int) -> dict[int, str]:
    if rate <= 0:
        return {}
    labelled = [(pk, emotion) for pk, emotion in rows if emotion]
    if not labelled:
        raise LabelingError("gold items need items with a known emotion; none of the selected items has one")
    count = max(1, round(rate * len(rows)))
    return dict(random.Random(seed).sample(labelled, min(count, len(labelled))))


# ---- handing out items ------------------------------------------------------------------------


def _filled_slots(session_item_ids: list[int], now) -> dict[int, int]:
    """Slots taken per item: done assignments plus active ones that have not expired."""
    taken = Assignment.objects.filter(session_item_id__in=session_item_ids).filter(
        Q(status=Assignment.Status.DONE) | Q(status=Assignment.Status.ACTIVE, expires_at__gt=now)
    )
    return dict(taken.values("session_item_id").annotate(n=Count("id")).values_list("session_item_id", "n"))


@transaction.atomic
def next_assignment(session: LabelingSession, annotator, holding: list[int] = ()) -> Assignment | None:
    """The annotator's next item: one they already hold (not in `holding`), else a new slot."""
    _require_open(session)
    now = timezone.now()
    held = (
        Assignment.objects.filter(session_item__session=session, annotator=annotator, status=Assignment.Status.ACTIVE)
        .exclude(pk__in=holding)
        .select_related("session_item__item")
        .first()
    )
    if held:
        held.expires_at = now + HOLD_FOR
        held.save(update_fields=["expires_at"])
        return held
    seen = Assignment.objects.filter(session_item__session=session, annotator=annotator).values("session_item")
    candidates = SessionItem.objects.filter(session=session).exclude(pk__in=seen)
    if _gold_is_due(session, annotator):
        gold = candidates.filter(is_gold=True).order_by("?").first()
        if gold:
            return _assign(gold, annotator, now)
    # Least-labelled first by the kept-in-step counter (an index serves it), then the exact
    # slot count, active holds included, for a few candidates only: O(1) per request, not O(items).
    open_items = list(
        candidates.filter(is_gold=False, label_count__lt=session.labels_per_item)
        .order_by(*_candidate_order(session))
        .values_list("pk", flat=True)[:CANDIDATES]
    )
    filled = _filled_slots(open_items, now)
    if session.order == LabelingSession.Order.LEAST_LABELED:
        open_items.sort(key=lambda pk: filled.get(pk, 0))  # stable: ties keep the id order
    for pk in open_items:
        if filled.get(pk, 0) >= session.labels_per_item:
            continue
        locked = SessionItem.objects.select_for_update().get(pk=pk)
        # Re-count under the lock: another annotator may have taken the slot meanwhile.
        if _filled_slots([pk], now).get(pk, 0) < session.labels_per_item:
            return _assign(locked, annotator, now)
    return None


def _candidate_order(session: LabelingSession) -> tuple:
    """Least-labelled first; or the most uncertain model prediction first (active learning), unpredicted last."""
    if session.order == LabelingSession.Order.UNCERTAINTY:
        return (F("uncertainty").desc(nulls_last=True), "label_count", "id")
    return ("label_count", "id")


def _gold_is_due(session: LabelingSession, annotator) -> bool:
    if session.gold_rate <= 0:
        return False
    mine = Assignment.objects.filter(session_item__session=session, annotator=annotator)
    total, gold = mine.count(), mine.filter(session_item__is_gold=True).count()
    return gold < session.gold_rate * (total + 1)


def _assign(session_item: SessionItem, annotator, now) -> Assignment:
    try:
        with transaction.atomic():
            return Assignment.objects.create(session_item=session_item, annotator=annotator, expires_at=now + HOLD_FOR)
    except IntegrityError:
        raise LabelingError("this item was already given to you") from None


# ---- answers ----------------------------------------------------------------------------------


@transaction.atomic
def submit(assignment: Assignment, annotator, *, emotion: str = "", not_face: bool = False, unsure: bool = False,
           valence: float | None = None, arousal: float | None = None, duration_ms: int = 0,
           prediction_shown: str = "") -> Annotation:  # fmt: skip
    assignment = Assignment.objects.select_for_update().select_related("session_item__session").get(pk=assignment.pk)
    session = assignment.session_item.session
    _require_open(session)
    _check_answer(assignment, annotator, session, emotion, not_face, unsure, valence, arousal)
    annotation = Annotation.objects.create(
        assignment=assignment,
        session=session,
        item_id=assignment.session_item.item_id,
        annotator=annotator,
        emotion=emotion,
        not_face=not_face,
        unsure=unsure,
        valence=valence,
        arousal=arousal,
        duration_ms=duration_ms,
        prediction_shown=_shown_prediction(session, assignment.session_item, prediction_shown),
    )
    assignment.status = Assignment.Status.DONE
    assignment.save(update_fields=["status"])
    SessionItem.objects.filter(pk=assignment.session_item_id).update(label_count=F("label_count") + 1)
    return annotation


def _check_answer(assignment, annotator, session, emotion, not_face, unsure, valence, arousal) -> None:
    if assignment.annotator_id != annotator.pk:
        raise LabelingError("this item is held by another annotator")
    if assignment.status != Assignment.Status.ACTIVE:
        raise LabelingError(f"this item was already {assignment.status}")
    if emotion and emotion not in EMOTIONS:
        raise LabelingError(f"unknown emotion {emotion!r}; expected one of {', '.join(EMOTIONS)}")
    if sum((bool(emotion), not_face, unsure)) > 1:
        raise LabelingError("give one of: an emotion, not a face, or unsure")
    gave_va = valence is not None or arousal is not None
    if gave_va and (valence is None or arousal is None):
        raise LabelingError("valence and arousal come together")
    if gave_va and not (-1 <= valence <= 1 and -1 <= arousal <= 1):
        raise LabelingError("valence and arousal must lie in [-1, 1]")
    answered_face = not_face or unsure
    if session.asks_emotion and not (emotion or answered_face):
        raise LabelingError("this session asks for an emotion (or not a face / unsure)")
    if session.asks_va and not (gave_va or answered_face):
        raise LabelingError("this session asks for valence and arousal")


def _shown_prediction(session: LabelingSession, session_item: SessionItem, claimed: str) -> str:
    """What the annotator saw: recorded only if the session allows it and it is the item's real prediction."""
    if session.show_prediction and claimed and claimed == session_item.prediction:
        return claimed
    return ""


@transaction.atomic
def skip(assignment: Assignment, annotator) -> None:
    """Give the slot back. Atomic: a row lock lasts one transaction (PostgreSQL refuses one outside)."""
    assignment = Assignment.objects.select_for_update().select_related("session_item__session").get(pk=assignment.pk)
    _require_open(assignment.session_item.session)
    if assignment.annotator_id != annotator.pk or assignment.status != Assignment.Status.ACTIVE:
        raise LabelingError("you do not hold this item")
    assignment.status = Assignment.Status.SKIPPED  # frees the slot for someone else
    assignment.save(update_fields=["status"])


@transaction.atomic
def undo_last(session: LabelingSession, annotator) -> Assignment | None:
    """Take back the annotator's newest answer in the session; they hold that item again."""
    _require_open(session)
    annotation = (
        Annotation.objects.select_for_update().filter(session=session, annotator=annotator).order_by("-id").first()
    )
    if annotation is None:
        return None
    assignment = annotation.assignment
    # What was taken back, so the labeling page can show it and restore the valence/arousal.
    assignment.previous_answer = {
        "emotion": annotation.emotion or None, "not_face": annotation.not_face, "unsure": annotation.unsure,
        "valence": annotation.valence, "arousal": annotation.arousal, "duration_ms": annotation.duration_ms,
    }  # fmt: skip
    annotation.delete()
    SessionItem.objects.filter(pk=assignment.session_item_id).update(label_count=F("label_count") - 1)
    assignment.status, assignment.expires_at = Assignment.Status.ACTIVE, timezone.now() + HOLD_FOR
    assignment.save(update_fields=["status", "expires_at"])
    return assignment


# ---- guests -----------------------------------------------------------------------------------


@transaction.atomic
def create_guest_annotator(session: LabelingSession, display_name: str):
    """A new account that may label in this session only (never in the annotators group)."""
    _require_guests(session)
    user = get_user_model().objects.create_user(username=f"guest-{secrets.token_hex(6)}", first_name=display_name)
    user.set_unusable_password()
    user.save()
    Participant.objects.create(session=session, user=user, display_name=display_name, is_guest=True)
    return user


def join_as_self(session: LabelingSession, user) -> Participant:
    """A logged-in person who opens the invite link labels in the session under their own account."""
    _require_guests(session)
    participant, _ = Participant.objects.get_or_create(
        session=session, user=user, defaults={"display_name": user.get_username()[:40]}
    )
    return participant


def close_session(session: LabelingSession) -> LabelingSession:
    """No more answers of any kind; its guest accounts stop working (webapp/accounts/backends.py)."""
    session.is_open = False
    session.save(update_fields=["is_open"])
    with job_context(job_id(SESSION_JOB, session.pk)):
        log.info("closed")
    return session


def _require_guests(session: LabelingSession) -> None:
    if not (session.allow_guests and session.is_open):
        raise LabelingError("this session does not take guest annotators")


def _require_open(session: LabelingSession) -> None:
    if not session.is_open:
        raise LabelingError("this session is closed")


# ---- accepting aggregates ---------------------------------------------------------------------


@dataclass
class AcceptResult:
    method: str
    labels_created: int
    labels_replaced: int  # crowd labels of this session's previous acceptance, deleted


@transaction.atomic
def accept_aggregates(session: LabelingSession, user, method: str = "majority") -> AcceptResult:
    """Record the crowd's answer for every complete item as a new `crowd` Label.

    The dataset's other labels stay; the newest label is the item's current one. Items
    whose majority is tied, or whose answer is "not a face", get no emotion (their VA, if
    asked, is still recorded). Accepting again (more answers came in, or the other method)
    replaces the labels this session's previous acceptance wrote instead of adding a second
    set, so a session counts once in the dataset and in training.
    """
    if method not in Acceptance.Method.values:
        raise LabelingError("method must be 'majority' or 'dawid_skene'")
    # Serialises two accepts of one session, so neither misses the other's labels.
    LabelingSession.objects.select_for_update().get(pk=session.pk)
    labels = _aggregate_labels(session, user, method)
    if not labels:
        raise LabelingError("no complete item has an answer to accept yet")
    acceptance = Acceptance.objects.filter(session=session).first()
    replaced = 0
    if acceptance is None:
        acceptance = Acceptance(session=session, times=0)
    else:
        previous = list(acceptance.labels.values_list("pk", flat=True))
        replaced = len(previous)
        Label.objects.filter(pk__in=previous).delete()
    acceptance.method, acceptance.accepted_by, acceptance.accepted_at = method, user, timezone.now()
    acceptance.times += 1
    acceptance.save()
    acceptance.labels.set(Label.objects.bulk_create(labels))
    with job_context(job_id(SESSION_JOB, session.pk)):
        log.info("accepted by %s (%s): %d crowd labels, %d replaced", user, method, len(labels), replaced)
    return AcceptResult(method=method, labels_created=len(labels), labels_replaced=replaced)


@dataclass
class AcceptPreview:
    """What accepting would do to the dataset's current labels, before anything is written."""

    method: str
    labels: int  # crowd labels the accept would write
    changed: int  # items whose current emotion would change
    changes: list[dict]  # [{"from": emotion or None, "to": emotion or None, "items": n}], largest first
    dawid_skene_shortfall: str | None  # why Dawid-Skene can't be trusted yet, None when it can


def preview_acceptance(session: LabelingSession, method: str = "majority") -> AcceptPreview:
    """Count, per (current emotion -> accepted emotion), the items accepting with `method` would relabel.

    The current emotion ignores this session's own previous acceptance, which accepting
    again replaces; an item whose emotion stays the same is not a change.
    """
    from webapp.labeling.statistics import session_statistics

    if method not in Acceptance.Method.values:
        raise LabelingError("method must be 'majority' or 'dawid_skene'")
    stats = session_statistics(session)
    labels = _aggregate_labels(session, None, method, stats)
    replaced = Acceptance.objects.filter(session=session).values_list("labels", flat=True)
    current = {}
    for item_id, emotion in (
        Label.objects.filter(item_id__in=[label.item_id for label in labels], emotion__isnull=False)
        .exclude(pk__in=[pk for pk in replaced if pk is not None])
        .order_by("created_at", "id")
        .values_list("item_id", "emotion")
    ):
        current[item_id] = emotion  # ascending order: the newest wins
    moves = Counter(
        (current.get(label.item_id), label.emotion)
        for label in labels
        if label.emotion is not None and current.get(label.item_id) != label.emotion
    )
    changes = [{"from": old, "to": new, "items": n} for (old, new), n in moves.most_common()]
    return AcceptPreview(method, len(labels), sum(moves.values()), changes, stats.dawid_skene_shortfall)


def _aggregate_labels(session: LabelingSession, user, method: str, stats=None) -> list[Label]:
    """Unsaved crowd Labels: one per complete, non-gold item whose aggregate says something."""
    from webapp.labeling.statistics import session_statistics

    stats = stats or session_statistics(session)
    complete = set(
        SessionItem.objects.filter(
            session=session, is_gold=False, label_count__gte=session.labels_per_item
        ).values_list("item_id", flat=True)
    )
    labels = []
    for item_id, aggregate in stats.aggregates.items():
        if item_id not in complete:
            continue
        emotion = aggregate.majority if method == "majority" and not aggregate.tied else None
        if method == "dawid_skene":
            emotion = aggregate.dawid_skene
        emotion = emotion if emotion in EMOTIONS else None
        if emotion is None and aggregate.valence is None:
            continue
        labels.append(
            Label(
                item_id=item_id,
                source=Label.Source.CROWD,
                emotion=emotion,
                votes=aggregate.votes or None,
                valence=aggregate.valence,
                arousal=aggregate.arousal,
                created_by=user,
            )
        )
    return labels


def release(session: LabelingSession, annotator, assignment_ids: list[int]) -> int:
    """Give back items an annotator held but never answered (they left the page)."""
    _require_open(session)
    held = Assignment.objects.filter(
        pk__in=assignment_ids, annotator=annotator, status=Assignment.Status.ACTIVE, session_item__session=session
    )
    return held.delete()[0]
