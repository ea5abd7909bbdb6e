"""Model versions (bundled or trained checkpoints) and which one answers predictions.

Exactly one version is active at a time. Promotions are kept as a history, so a rollback
is "promote the one before" and who changed what stays visible.
"""

from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q


class ModelVersion(models.Model):
    class Source(models.TextChoices):
        BUNDLED = "bundled", "Bundled with the application"
        TRAINED = "trained", "Trained on this site"

    # "<checkpoint stem>:<first 12 hex of its SHA-256>", the same string ml.pipeline stamps on
    # every face it classifies, so a stored prediction names exactly the weights behind it.
    tag = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=100)
    source = models.CharField(max_length=10, choices=Source.choices)
    # Bundled: path relative to the project root (models/...). Trained: relative to MEDIA_ROOT.
    checkpoint = models.CharField(max_length=300)
    architecture = models.CharField(max_length=50)
    label_set = models.CharField(max_length=50)
    num_classes = models.PositiveSmallIntegerField()
    input_size = models.PositiveSmallIntegerField()
    in_chans = models.PositiveSmallIntegerField()
    parameter_count = models.PositiveIntegerField()
    va_head = models.BooleanField(default=False)
    va_learned = models.BooleanField(default=False, help_text="V/A head trained on annotated V/A, not derived")
    metrics = models.JSONField(default=dict, blank=True, help_text="validation metrics stored in the checkpoint")
    config = models.JSONField(default=dict, blank=True, help_text="training configuration stored in the checkpoint")
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_model"),
        ]

    def __str__(self) -> str:
        return self.tag

    @property
    def path(self) -> Path:
        root = settings.BASE_DIR if self.source == self.Source.BUNDLED else Path(settings.MEDIA_ROOT)
        return Path(root) / self.checkpoint


class Promotion(models.Model):
    """One change of the active model: what became active, what it replaced, who did it."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="promotions")
    previous = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by"
    )
    is_rollback = models.BooleanField(default=False)
    promoted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    promoted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-promoted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.model_version} promoted at {self.promoted_at:%Y-%m-%d %H:%M}"
