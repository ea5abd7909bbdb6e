"""Datasets, their items (one face image each) and every label an item ever got.

Labels are never overwritten: a correction or an accepted crowd aggregate is a new
`Label` row with its own source, so what a dataset said originally is always kept.
"""

from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q

from ml.taxonomy import EMOTIONS

EMOTION_CHOICES = [(e, e) for e in EMOTIONS]


def va_range_constraints(valence_name: str, arousal_name: str) -> list[models.CheckConstraint]:
    """Valence and arousal, when given, lie in [-1, 1]: the circumplex every label uses."""

    def in_range(field: str) -> Q:
        return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": -1, f"{field}__lte": 1})

    return [
        models.CheckConstraint(condition=in_range("valence"), name=valence_name),
        models.CheckConstraint(condition=in_range("arousal"), name=arousal_name),
    ]


class Dataset(models.Model):
    class Format(models.TextChoices):
        CLASS_FOLDERS = "class_folders", "Class folders (split/class/image)"
        FER2013_CSV = "fer2013_csv", "FER-2013 CSV (emotion, pixels, Usage)"
        FERPLUS = "ferplus", "FER+ folders with label.csv votes"
        # Not importable: faces people corrected in the gallery, collected for training.
        UPLOADS = "uploads", "Faces corrected in the gallery"

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    format = models.CharField(max_length=30, choices=Format.choices)

    label_set = models.CharField(max_length=100, blank=True, help_text="ml.taxonomy label set of the original labels")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def import_formats(cls) -> list[tuple[str, str]]:
        """The formats an admin can import (the gallery's corrections dataset is built, not imported)."""
        return [choice for choice in cls.Format.choices if choice[0] != cls.Format.UPLOADS]


def item_image_path(item: "Item", filename: str) -> str:
    # Content-addressed: the same bytes always land at the same place, never clobbering others.
    suffix = PurePosixPath(filename).suffix.lower()
    return f"datasets/{item.dataset_id}/{item.content_hash[:2]}/{item.content_hash}{suffix}"


class Item(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="items")
    split = models.CharField(max_length=20, db_index=True)
    image = models.FileField(upload_to=item_image_path, max_length=300)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the image bytes")
    source_name = models.CharField(max_length=500, help_text="path in the archive, or CSV row")
    import_job = models.ForeignKey("ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["dataset", "content_hash"], name="unique_image_per_dataset")]

    def __str__(self) -> str:
        return f"{self.dataset.name}/{self.split}/{self.source_name}"


class Label(models.Model):
    class Source(models.TextChoices):
        ORIGINAL = "original", "Original dataset label"
        CROWD = "crowd", "Accepted crowd aggregate"
        CORRECTION = "correction", "Human correction"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="labels")
    source = models.CharField(max_length=20, choices=Source.choices)
    # NULL = this label says nothing about the emotion (e.g. FER+'s "not a face" majority).
    emotion = models.CharField(max_length=20, choices=EMOTION_CHOICES, null=True, blank=True)  # noqa: DJ001
    # Vote counts per canonical emotion, plus "unknown"/"not_face" when the source had them (FER+).
    votes = models.JSONField(null=True, blank=True)
    valence = models.FloatField(null=True, blank=True)
    arousal = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            *va_range_constraints("valence_in_range", "arousal_in_range"),
            models.CheckConstraint(
                condition=Q(emotion__isnull=False) | Q(votes__isnull=False) | Q(valence__isnull=False),
                name="label_says_something",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} label of item {self.item_id}: {self.emotion or '-'}"


class ImportJob(models.Model):
    """One import of an archive or CSV into a dataset, run by a worker, with its progress."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="imports")
    source = models.FileField(upload_to="imports/", max_length=300, help_text="the uploaded archive or CSV")
    source_name = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True, help_text="why the whole import failed, if it did")
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, help_text="first errors: [{where, message}]")
    task_id = models.CharField(max_length=50, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.source_name} ({self.status})"

    @property
    def progress(self) -> float:
        return self.processed / self.total if self.total else 0.0
