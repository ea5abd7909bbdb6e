"""Exports of a session: raw annotations (CSV, JSON), per-item aggregates (CSV) and FER+-style vote counts (CSV)."""

from __future__ import annotations

import csv
import io
import json

from webapp.labeling.models import Annotation, LabelingSession
from webapp.labeling.statistics import CATEGORIES, aggregate_rows, session_statistics

RAW_COLUMNS = ["item_id", "source_name", "split", "annotator", "emotion", "not_face", "unsure", "valence",
               "arousal", "duration_ms", "prediction_shown", "created_at"]  # fmt: skip
AGGREGATE_COLUMNS = ["item_id", "source_name", "split", "is_gold", "labels", "votes", "majority", "majority_share",
                     "majority_tied", "dawid_skene", "dawid_skene_probability", "valence_mean", "valence_median",
                     "valence_std", "arousal_mean", "arousal_median", "arousal_std"]  # fmt: skip
# FER+ label.csv order: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF.
FERPLUS_ORDER = ["neutral", "happy", "surprise", "sad", "anger", "disgust", "fear", "contempt", "unsure", "not_face"]


def _raw_rows(session: LabelingSession):
    annotations = Annotation.objects.filter(session=session).select_related("item", "annotator").order_by("id")
    for a in annotations:
        yield {
            "item_id": a.item_id, "source_name": a.item.source_name, "split": a.item.split,
            "annotator": a.annotator.username, "emotion": a.emotion, "not_face": a.not_face, "unsure": a.unsure,
            "valence": a.valence, "arousal": a.arousal, "duration_ms": a.duration_ms,
            "prediction_shown": a.prediction_shown, "created_at": a.created_at.isoformat(),
        }  # fmt: skip


def raw_csv(session: LabelingSession) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=RAW_COLUMNS)
    writer.writeheader()
    writer.writerows(_raw_rows(session))
    return out.getvalue()


def raw_json(session: LabelingSession) -> str:
    stats = session_statistics(session)
    payload = {
        "session": {"id": session.pk, "name": session.name, "dataset": session.dataset.name, "ask": session.ask},
        "annotations": list(_raw_rows(session)),
        "aggregates": [vars(a) for a in stats.aggregates.values()],
    }
    return json.dumps(payload, indent=1)


def aggregates_csv(session: LabelingSession) -> str:
    """One row per answered item: the aggregates the session page shows, for analysis outside the app."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=AGGREGATE_COLUMNS)
    writer.writeheader()
    for row in aggregate_rows(session, session_statistics(session)):
        a = row.aggregate
        writer.writerow({
            "item_id": row.item_id, "source_name": row.source_name, "split": row.split, "is_gold": row.is_gold,
            "labels": a.labels, "votes": sum(a.votes.values()), "majority": a.majority,
            "majority_share": a.majority_share, "majority_tied": a.tied, "dawid_skene": a.dawid_skene,
            "dawid_skene_probability": a.dawid_skene_probability, "valence_mean": a.valence,
            "valence_median": a.valence_median, "valence_std": a.valence_std, "arousal_mean": a.arousal,
            "arousal_median": a.arousal_median, "arousal_std": a.arousal_std,
        })  # fmt: skip
    return out.getvalue()


def ferplus_csv(session: LabelingSession) -> str:
    """No header; file name, face box, then 10 vote counts, as FER+'s label.csv. "unknown" = unsure."""
    unsure = {}
    for item_id in Annotation.objects.filter(session=session, unsure=True).values_list("item_id", flat=True):
        unsure[item_id] = unsure.get(item_id, 0) + 1
    stats = session_statistics(session)
    names = dict(session.session_items.values_list("item_id", "item__source_name"))
    sizes = {pk: (w, h) for pk, w, h in session.session_items.values_list("item_id", "item__width", "item__height")}
    out = io.StringIO()
    writer = csv.writer(out)
    for item_id in sorted(set(stats.aggregates) | set(unsure)):
        votes = dict(stats.aggregates[item_id].votes) if item_id in stats.aggregates else {}
        votes["unsure"] = unsure.get(item_id, 0)
        width, height = sizes[item_id]
        writer.writerow(
            [names[item_id].rsplit("/", 1)[-1], f"(0, 0, {width}, {height})", *(votes.get(c, 0) for c in FERPLUS_ORDER)]
        )
    return out.getvalue()


# What views and the API offer: name -> (builder, content type).
EXPORTS = {
    "annotations.csv": (raw_csv, "text/csv"),
    "annotations.json": (raw_json, "application/json"),
    "aggregates.csv": (aggregates_csv, "text/csv"),
    "votes-ferplus.csv": (ferplus_csv, "text/csv"),
}

assert set(FERPLUS_ORDER) == {*CATEGORIES, "unsure"}
