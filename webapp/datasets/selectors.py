"""Reading datasets: class histograms, filtered items, current labels."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, F, OuterRef, QuerySet, Subquery

from ml.taxonomy import EMOTIONS
from webapp.datasets.models import Dataset, Item, ItemPrediction, Label, LandmarkJob, PredictionJob


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


def latest_prediction(field: str) -> Subquery:
    """A field of the item's newest model prediction (whichever version made it)."""
    newest = ItemPrediction.objects.filter(item=OuterRef("pk")).order_by("-created_at", "-id")
    return Subquery(newest.values(field)[:1])


def dataset_items(
    dataset: Dataset,
    *,
    split: str | None = None,
    emotion: str | None = None,
    labeled: bool | None = None,
    disagrees: bool = False,
) -> QuerySet[Item]:
    """Items with their current label (`emotion`) and newest prediction (`predicted`, `predicted_top`).

    labeled: True = has an emotion label, False = has none. disagrees: the newest prediction
    names another emotion than the current label (items without either are left out).
    """
    items = Item.objects.filter(dataset=dataset).annotate(
        emotion=latest_label_emotion(),
        predicted=latest_prediction("emotion"),
        predicted_top=latest_prediction("top_probability"),
    )
    if split:
        items = items.filter(split=split)
    if emotion:
        items = items.filter(emotion=None if emotion == "none" else emotion)
    if labeled is not None:
        items = items.filter(emotion__isnull=not labeled)
    if disagrees:
        items = items.filter(emotion__isnull=False, predicted__isnull=False).exclude(predicted=F("emotion"))
    return items.order_by("id")


def latest_prediction_job(dataset: Dataset) -> PredictionJob | None:
    return PredictionJob.objects.filter(dataset=dataset).select_related("model_version").first()


def latest_landmark_job(dataset: Dataset) -> LandmarkJob | None:
    return LandmarkJob.objects.filter(dataset=dataset).first()


def item_predictions(item: Item) -> QuerySet[ItemPrediction]:
    return item.predictions.select_related("model_version").order_by("-created_at", "-id")


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
