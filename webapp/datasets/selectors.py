"""Reading datasets: class histograms, filtered items, current labels."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, OuterRef, QuerySet, Subquery

from ml.taxonomy import EMOTIONS
from webapp.datasets.models import Dataset, Item, Label


def latest_label_emotion() -> Subquery:
    """The emotion of an item's newest label (corrections and accepted crowd labels win)."""
    newest = Label.objects.filter(item=OuterRef("pk"), emotion__isnull=False).order_by("-created_at", "-id")
    return Subquery(newest.values("emotion")[:1])


def class_histogram(dataset: Dataset) -> dict[str, dict[str, int]]:
    """{split: {emotion or "none": count}} by each item's current label."""
    rows = (
        Item.objects.filter(dataset=dataset)
        .annotate(emotion=latest_label_emotion())
        .values("split", "emotion")
        .annotate(n=Count("id"))
    )
    histogram: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        histogram[row["split"]][row["emotion"] or "none"] = row["n"]
    return dict(histogram)


def dataset_items(dataset: Dataset, *, split: str | None = None, emotion: str | None = None) -> QuerySet[Item]:
    items = Item.objects.filter(dataset=dataset).annotate(emotion=latest_label_emotion())
    if split:
        items = items.filter(split=split)
    if emotion:
        items = items.filter(emotion=None if emotion == "none" else emotion)
    return items.order_by("id")


def datasets_with_counts() -> QuerySet[Dataset]:
    return Dataset.objects.annotate(item_count=Count("items")).order_by("name")


def histogram_chart(histogram: dict[str, dict[str, int]]) -> list[dict]:
    """Rows for a bar chart: one per class, a bar per split; the largest count spans 80% (room for its number)."""
    largest = max((n for counts in histogram.values() for n in counts.values()), default=0) or 1
    classes = [e for e in [*EMOTIONS, "none"] if any(e in counts for counts in histogram.values())]
    return [
        {
            "emotion": emotion,
            "bars": [
                {"split": split, "count": histogram[split].get(emotion, 0),
                 "percent": round(80 * histogram[split].get(emotion, 0) / largest, 1)}
                for split in sorted(histogram)
            ],
        }
        for emotion in classes
    ]  # fmt: skip
