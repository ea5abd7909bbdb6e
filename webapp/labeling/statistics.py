"""Agreement and aggregation for a session, computed with `ml.crowd` from its annotations."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, Q

from ml.crowd import (
    annotator_agreement,
    continuous_summary,
    dawid_skene,
    dawid_skene_shortfall,
    fleiss_kappa,
    krippendorff_alpha,
    majority_vote,
    vote_counts,
)
from ml.taxonomy import EMOTIONS
from webapp.labeling.models import Annotation, LabelingSession, SessionItem

# Categories of an emotion answer: the 8 emotions, then "not a face". "Unsure" is no answer.
CATEGORIES = (*EMOTIONS, "not_face")


@dataclass
class AnnotatorRow:
    username: str
    labels: int
    agreement: float | None  # share of their emotion answers equal to the item's majority
    gold_accuracy: float | None
    gold_labels: int
    median_seconds: float | None
    labels_per_minute: float | None


@dataclass
class ItemAggregate:
    item_id: int
    labels: int  # answers to the item, "unsure" included
    votes: dict[str, int]  # answers naming a category (an emotion or not a face)
    majority: str | None
    majority_share: float | None  # the majority's votes / all votes of the item
    tied: bool
    dawid_skene: str | None
    dawid_skene_probability: float | None  # the posterior of that class
    valence: float | None  # mean
    arousal: float | None  # mean
    va_spread: float | None  # hypot of the valence and arousal standard deviations
    valence_median: float | None = None
    arousal_median: float | None = None
    valence_std: float | None = None  # population standard deviation (ddof 0)
    arousal_std: float | None = None


@dataclass
class SessionStatistics:
    items: int
    complete_items: int
    annotations: int
    fleiss_kappa: float | None
    alpha_emotion: float | None
    alpha_valence: float | None
    alpha_arousal: float | None
    annotators: list[AnnotatorRow] = field(default_factory=list)
    aggregates: dict[int, ItemAggregate] = field(default_factory=dict)
    # Why Dawid-Skene can't be trusted on these answers yet (majority is then the default).
    dawid_skene_shortfall: str | None = "no answers yet"


def _safe(statistic, *args):
    try:
        return statistic(*args)
    except ValueError:  # too few items with two answers yet
        return None


def session_statistics(session: LabelingSession) -> SessionStatistics:
    rows = list(
        Annotation.objects.filter(session=session).values_list(
            "item_id", "annotator_id", "annotator__username", "emotion", "not_face", "valence", "arousal", "duration_ms"
        )
    )
    counts = SessionItem.objects.filter(session=session).aggregate(
        items=Count("id"), complete=Count("id", filter=Q(label_count__gte=session.labels_per_item))
    )
    stats = SessionStatistics(counts["items"], counts["complete"], len(rows), None, None, None, None)
    if not rows:
        return stats
    item_ids = sorted({r[0] for r in rows})
    item_index = {pk: i for i, pk in enumerate(item_ids)}
    annotator_ids = sorted({r[1] for r in rows})
    annotator_index = {pk: i for i, pk in enumerate(annotator_ids)}

    answered = [r for r in rows if r[3] or r[4]]
    items = np.array([item_index[r[0]] for r in answered], dtype=np.int64)
    annotators = np.array([annotator_index[r[1]] for r in answered], dtype=np.int64)
    labels = np.array([CATEGORIES.index(r[3] or "not_face") for r in answered], dtype=np.int64)
    counts_matrix = vote_counts(items, labels, len(item_ids), len(CATEGORIES))
    majority, tied = majority_vote(counts_matrix)
    ds_result = None
    if len(answered):
        stats.fleiss_kappa = _safe(fleiss_kappa, counts_matrix)
        stats.alpha_emotion = _safe(krippendorff_alpha, items, labels, "nominal")
        ds_result = dawid_skene(items, annotators, labels, len(CATEGORIES))
        stats.dawid_skene_shortfall = dawid_skene_shortfall(items, annotators)

    va = [r for r in rows if r[5] is not None]
    va_items = np.array([item_index[r[0]] for r in va], dtype=np.int64)
    valence, arousal = np.array([r[5] for r in va], dtype=float), np.array([r[6] for r in va], dtype=float)
    if va:
        stats.alpha_valence = _safe(krippendorff_alpha, va_items, valence, "interval")
        stats.alpha_arousal = _safe(krippendorff_alpha, va_items, arousal, "interval")
    summaries = tuple(continuous_summary(va_items, values, len(item_ids)) for values in (valence, arousal))
    answers = np.bincount([item_index[r[0]] for r in rows], minlength=len(item_ids))
    for pk, i in item_index.items():
        stats.aggregates[pk] = _item_aggregate(pk, i, int(answers[i]), counts_matrix[i], majority[i], tied[i],
                                               ds_result, summaries)  # fmt: skip
    stats.annotators = _annotator_rows(session, rows, answered, items, annotators, labels, majority, annotator_ids)
    return stats


def _item_aggregate(pk, i, answers, counts, majority, tied, ds_result, summaries) -> ItemAggregate:
    """One item's aggregate from row `i` of the session-wide arrays."""
    total = int(counts.sum())
    v, a = summaries
    ds_class = int(ds_result.labels[i]) if ds_result is not None and total else None
    return ItemAggregate(
        item_id=pk,
        labels=answers,
        votes={c: int(n) for c, n in zip(CATEGORIES, counts, strict=True) if n},
        majority=CATEGORIES[majority] if total else None,
        majority_share=round(int(counts[majority]) / total, 4) if total else None,
        tied=bool(tied and total),
        dawid_skene=CATEGORIES[ds_class] if ds_class is not None else None,
        dawid_skene_probability=_number(ds_result.posteriors[i, ds_class]) if ds_class is not None else None,
        valence=_number(v["mean"][i]),
        arousal=_number(a["mean"][i]),
        va_spread=_number(np.hypot(v["std"][i], a["std"][i])),
        valence_median=_number(v["median"][i]),
        arousal_median=_number(a["median"][i]),
        valence_std=_number(v["std"][i]),
        arousal_std=_number(a["std"][i]),
    )


def _number(value) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def _annotator_rows(session, rows, answered, items, annotators, labels, majority, annotator_ids):
    agreement = annotator_agreement(items, annotators, labels, majority) if len(answered) else {}
    gold = dict(SessionItem.objects.filter(session=session, is_gold=True).values_list("item_id", "gold_emotion"))
    result = []
    for index, pk in enumerate(annotator_ids):
        mine = [r for r in rows if r[1] == pk]
        on_gold = [r for r in mine if r[0] in gold]
        durations = np.array([r[7] for r in mine], dtype=float)
        result.append(
            AnnotatorRow(
                username=mine[0][2],
                labels=len(mine),
                agreement=agreement.get(index),
                gold_accuracy=(sum(r[3] == gold[r[0]] for r in on_gold) / len(on_gold)) if on_gold else None,
                gold_labels=len(on_gold),
                median_seconds=round(float(np.median(durations)) / 1000, 2),
                labels_per_minute=round(60_000 * len(mine) / durations.sum(), 1) if durations.sum() else None,
            )
        )
    return result


@dataclass
class AggregateRow:
    """An item's aggregate with what a reader needs to find the item."""

    item_id: int
    source_name: str
    split: str
    is_gold: bool
    aggregate: ItemAggregate


def aggregate_rows(session: LabelingSession, stats: SessionStatistics) -> list[AggregateRow]:
    """Every answered item of the session, by item id, with its file name and split."""
    info = {
        item_id: (name, split, gold)
        # the whole session in one query: an `item_id__in` list would outgrow SQLite's parameter limit
        for item_id, name, split, gold in SessionItem.objects.filter(session=session).values_list(
            "item_id", "item__source_name", "item__split", "is_gold"
        )
    }
    return [AggregateRow(pk, *info[pk], stats.aggregates[pk]) for pk in sorted(stats.aggregates) if pk in info]
