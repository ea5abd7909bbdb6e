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
        AFFECTNET = "affectnet", "AffectNet CSV with its images (boxes, landmarks, valence/arousal)"
        FACIAL_KEYPOINTS = "facial_keypoints", "Facial keypoints CSV (Kaggle: 15 points + 96x96 pixels)"
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
    # 68 points [[x, y], ...] in the item image's pixels, found once by a `datasets.landmarks` job (the
    # whole image is the face); what landmark models (CNN-1DNN/3DNN) read where no label carries landmarks.
    landmarks = models.JSONField(null=True, blank=True)
    landmarks_backend = models.CharField(max_length=20, blank=True, help_text="what found `landmarks`: dlib or fan")
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
    # Points in the item image's pixels: [[x, y] or null, ...] (AffectNet's 68 landmarks, Kaggle's 15 keypoints).
    keypoints = models.JSONField(null=True, blank=True)
    valence = models.FloatField(null=True, blank=True)
    arousal = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            *va_range_constraints("valence_in_range", "arousal_in_range"),
            models.CheckConstraint(
                condition=Q(emotion__isnull=False)
                | Q(votes__isnull=False)
                | Q(valence__isnull=False)
                | Q(keypoints__isnull=False),
                name="label_says_something",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} label of item {self.item_id}: {self.emotion or '-'}"


class JobStatus(models.TextChoices):
    """The life of a background job (an import, a prediction run)."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class DatasetJob(models.Model):
    """What every dataset job (import, predictions, landmarks) records of its life: the row is the truth.

    Abstract: each job keeps its own table; `total`/`processed` are the subclass's progress counts.
    """

    Status = JobStatus

    task_id = models.CharField(max_length=50, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The job's life with the broker and its workers (webapp.core.jobs).
    attempts = models.PositiveSmallIntegerField(default=0, help_text="times a worker started this job")
    sent_at = models.DateTimeField(null=True, blank=True, help_text="last time its task was sent to the broker")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="last sign of life of its worker")

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def progress(self) -> float:
        return self.processed / self.total if self.total else 0.0


class ImportJob(DatasetJob):
    """One import of an archive or CSV into a dataset, run by a worker, with its progress."""

    Status = JobStatus

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="imports")
    source = models.FileField(upload_to="imports/", max_length=300, blank=True, help_text="the uploaded archive or CSV")
    # Set instead of `source` for an import from the server's IMPORT_ROOT (admins; checked on use too).
    server_path = models.CharField(max_length=1000, blank=True, help_text="file or folder under IMPORT_ROOT")
    source_name = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True, help_text="why the whole import failed, if it did")
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, help_text="first errors: [{where, message}]")

    def __str__(self) -> str:
        return f"import {self.pk} of {self.source_name} ({self.status})"


class ItemPrediction(models.Model):
    """What one model version said about one dataset item (the item image is the face crop)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="predictions")
    model_version = models.ForeignKey("modelzoo.ModelVersion", on_delete=models.CASCADE, related_name="+")
    emotion = models.CharField(max_length=20, choices=EMOTION_CHOICES)
    probs = models.JSONField(help_text="{emotion: probability} over the 8 canonical emotions")
    top_probability = models.FloatField(help_text="probability of `emotion`: low = the model is unsure")
    entropy = models.FloatField(help_text="entropy of probs in bits (0 = certain, 3 = uniform over 8)")
    valence = models.FloatField()
    arousal = models.FloatField()
    va_source = models.CharField(max_length=10, help_text="learned or derived")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One answer per item and version: predicting again replaces, never duplicates.
            models.UniqueConstraint(fields=["item", "model_version"], name="one_prediction_per_item_and_version"),
            *va_range_constraints("prediction_valence_in_range", "prediction_arousal_in_range"),
        ]
        indexes = [models.Index(fields=["item", "-created_at"], name="item_latest_prediction")]

    def __str__(self) -> str:
        return f"{self.model_version_id} on item {self.item_id}: {self.emotion}"


class PredictionJob(DatasetJob):
    """Classifying a dataset's items with one model version, run by a worker, with its progress."""

    Status = JobStatus

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="prediction_jobs")
    model_version = models.ForeignKey("modelzoo.ModelVersion", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"predict {self.dataset_id} with {self.model_version_id} ({self.status})"


class LandmarkJob(DatasetJob):
    """Finding the 68 landmarks of a dataset's items that have none, run by a worker, with its progress."""

    Status = JobStatus

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="landmark_jobs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True)
    backend = models.CharField(max_length=20, blank=True, help_text="the landmark backend that ran (FER_LANDMARKS)")
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    unreadable = models.PositiveIntegerField(default=0, help_text="items whose image could not be read")

    def __str__(self) -> str:
        return f"landmarks of {self.dataset_id} ({self.status})"
