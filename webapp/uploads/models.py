"""Uploaded photos, the prediction job each one is, and the faces a worker found in it.

An Upload *is* its prediction job (status, task id, timings live on the row): one photo is
predicted by one task, so a separate job table would only duplicate the upload's life cycle.
Files get random names, so a media URL cannot be guessed; pages and the API serve them
through views that check who may see the upload (see `selectors.visible_uploads`).
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models

from webapp.datasets.models import EMOTION_CHOICES, va_range_constraints


def photo_path(upload: "Upload", filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower()
    return f"uploads/{uuid.uuid4().hex}{suffix}"


def face_file_path(face: "Face", filename: str) -> str:
    # filename is "crop.png" or "saliency.png"; the random prefix keeps re-runs from overwriting a served file.
    return f"uploads/faces/{uuid.uuid4().hex}-{filename}"


class Upload(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    image = models.FileField(upload_to=photo_path, max_length=200)
    original_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    format = models.CharField(max_length=10, help_text="JPEG, MPO, PNG, WEBP or BMP, read from the bytes")
    size_bytes = models.PositiveIntegerField()
    # Upright size: after the EXIF orientation is applied, the coordinates faces are given in.
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="uploads"
    )
    # Anonymous demo uploads belong to the browser session that made them.
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    message = models.TextField(blank=True, help_text="why the prediction failed, if it did")
    task_id = models.CharField(max_length=50, blank=True)
    model_version = models.ForeignKey(
        "modelzoo.ModelVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="uploads"
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="times a worker started this job")
    sent_at = models.DateTimeField(null=True, blank=True, help_text="last time its task was sent to the broker")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="last sign of life of its worker")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    timings_ms = models.JSONField(default=dict, blank=True, help_text="pipeline stages of the last run")
    # What detection did, so a face that is missing has a reason: {"detector", "min_face_px",
    # "min_sharpness", "skipped": [{"box", "score", "reason": "too_small" | "too_blurred"}]}.
    detection = models.JSONField(default=dict, blank=True, help_text="detector, minimum face size, skipped faces")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"upload {self.pk} ({self.original_name or 'photo'}, {self.status})"

    @property
    def skipped_faces(self) -> list[dict]:
        return list((self.detection or {}).get("skipped", []))

    @property
    def skipped_counts(self) -> dict[str, int]:
        """{"too_small": n, "too_blurred": m} for the faces found but not predicted."""
        counts: dict[str, int] = {}
        for face in self.skipped_faces:
            counts[face["reason"]] = counts.get(face["reason"], 0) + 1
        return counts

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class Face(models.Model):
    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="faces")
    index = models.PositiveSmallIntegerField(help_text="0-based, in the detector's order")
    box = models.JSONField(help_text="[x, y, w, h] in upright image pixels")
    score = models.FloatField()
    landmarks = models.JSONField(help_text="68 [x, y] points, iBUG-68 order")
    probs = models.JSONField(help_text="{emotion: probability} over the 8 canonical emotions")
    emotion = models.CharField(max_length=20, choices=EMOTION_CHOICES, db_index=True)
    valence = models.FloatField()
    arousal = models.FloatField()
    va_source = models.CharField(max_length=10, help_text="learned (V/A head) or derived (from the class circumplex)")
    model_version = models.ForeignKey("modelzoo.ModelVersion", on_delete=models.PROTECT, related_name="faces")
    crop = models.FileField(upload_to=face_file_path, max_length=200, help_text="the aligned crop the model saw")
    saliency = models.FileField(upload_to=face_file_path, max_length=200, blank=True, help_text="Grad-CAM++ overlay")
    saliency_degenerate = models.BooleanField(
        default=False, help_text="the saliency map was flat (no structure): no overlay is stored, the page says so"
    )
    # 2x3 affine from crop pixels to image pixels: places the crop-sized saliency overlay on the photo.
    crop_to_image = models.JSONField()
    # The dataset item made from this face on its first correction; its labels hold every correction.
    item = models.ForeignKey(
        "datasets.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="gallery_faces"
    )

    class Meta:
        ordering = ["upload", "index"]
        constraints = [
            models.UniqueConstraint(fields=["upload", "index"], name="one_face_per_index"),
            *va_range_constraints("face_valence_in_range", "face_arousal_in_range"),
        ]

    def __str__(self) -> str:
        return f"face {self.index} of upload {self.upload_id}: {self.emotion}"
