"""Model versions (bundled or trained checkpoints) and which one answers predictions.

Exactly one version is active at a time. Promotions are kept as a history, so a rollback
is "promote the one before" and who changed what stays visible.
"""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.db.models import Q

from webapp.core import storage


class ModelVersion(models.Model):
    class Source(models.TextChoices):
        BUNDLED = "bundled", "Bundled with the application"
        TRAINED = "trained", "Trained on this site"

    # "<checkpoint stem>:<first 12 hex of its SHA-256>", the same string ml.pipeline stamps on
    # every face it classifies, so a stored prediction names exactly the weights behind it.
    tag = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=100)
    source = models.CharField(max_length=10, choices=Source.choices)
    # Bundled: path relative to the project root (models/...). Trained: a name in the file storage
    # (MEDIA_ROOT or the S3 bucket: webapp.core.storage).
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
    # Median milliseconds for one face through the network alone (batch 1, one CPU thread).
    cpu_latency_ms = models.FloatField(null=True, blank=True)
    evaluation_queued_at = models.DateTimeField(null=True, blank=True, help_text="last time its evaluation was queued")
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
    def va_learned_on(self) -> str | None:
        """What its annotated V/A was (e.g. "synthetic faces"), as the checkpoint records it (ml.checkpoint)."""
        return (self.metrics or {}).get("va_learned_on") if self.va_learned else None

    @property
    def path(self) -> Path:
        """A local file holding the checkpoint, for torch.load; it may not exist when the checkpoint is gone.

        Trained checkpoints in object storage are downloaded once per machine into a cache keyed
        by the tag (the content hash), so a worker elsewhere loads them without a shared folder.
        """
        if self.source == self.Source.BUNDLED:
            return Path(settings.BASE_DIR) / self.checkpoint
        return storage.cached_copy(self.checkpoint, self.tag)

    def checkpoint_exists(self) -> bool:
        """Whether the checkpoint is still stored (asks the storage; downloads nothing)."""
        if self.source == self.Source.BUNDLED:
            return (Path(settings.BASE_DIR) / self.checkpoint).is_file()
        return default_storage.exists(self.checkpoint)


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


class Evaluation(models.Model):
    """One model version measured on one dataset split: the figures behind a leaderboard cell."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="evaluations")
    dataset = models.ForeignKey("datasets.Dataset", on_delete=models.CASCADE, related_name="evaluations")
    split = models.CharField(max_length=20, help_text="test, val or train: the held-out part that was measured")
    # accuracy, macro_f1, weighted_f1, ece, nll, num_items, items_dropped (and va_ccc / keypoint_rmse when known)
    metrics = models.JSONField(default=dict)
    per_class = models.JSONField(default=dict, help_text="{class: {precision, recall, f1, support}}")
    classes = models.JSONField(default=list)
    confusion = models.JSONField(default=list, help_text="rows = true class, columns = predicted")
    # A name in the file storage (MEDIA_ROOT or the S3 bucket), written by webapp.modelzoo.evaluation.
    confusion_png = models.CharField(max_length=300, blank=True, help_text="path under MEDIA_ROOT")
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dataset__name", "split"]
        constraints = [
            models.UniqueConstraint(fields=["model_version", "dataset", "split"], name="one_evaluation_per_split"),
        ]

    def __str__(self) -> str:
        return f"{self.model_version} on {self.dataset}/{self.split}"


class EvaluationJob(models.Model):
    """The measuring of one model version (latency, every compatible dataset) as a job row.

    Its primary key is the version's, so the `modelzoo.evaluate` task's one argument, the version
    id, names the row it claims (webapp.core.jobs). Re-queuing a version reuses its row.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    version = models.OneToOneField(
        ModelVersion, primary_key=True, on_delete=models.CASCADE, related_name="evaluation_job"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(blank=True)
    task_id = models.CharField(max_length=50, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="times a worker started this job")
    sent_at = models.DateTimeField(null=True, blank=True, help_text="last time its task was sent to the broker")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="last sign of life of its worker")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"evaluation of version {self.version_id} ({self.status})"
