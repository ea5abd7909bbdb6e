"""Training runs launched from the browser: what to train on, how, and how far it got.

A run is worked on by at most one worker at a time: the worker holding it renews
`lease_expires_at` every few seconds; another copy of the task (a redelivered message, a
requeue after a worker died) waits until that lease has run out before taking over, and
then resumes from the run's last checkpoint.
"""

from django.conf import settings
from django.db import models


class TrainingRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        EVALUATING = "evaluating"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    class Task(models.TextChoices):
        # The labels say what each task learns from; webapp.training.materialize writes them for ml.
        EMOTION = "emotion", "Emotion classes, from emotion labels"
        BOTH = "both", "Emotion + valence/arousal: V/A annotated where labels have it, else derived from the emotion"
        VA = "va", "Valence/arousal only, from annotated V/A (AffectNet imports, crowd or correction labels)"
        KEYPOINTS = "keypoints", "Facial keypoints, from keypoint labels (facial-keypoints imports, 68 landmarks)"

    class Queue(models.TextChoices):
        GPU = "gpu", "GPU workers"
        CPU = "cpu", "CPU workers"

    FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    name = models.CharField(max_length=100)
    datasets = models.ManyToManyField("datasets.Dataset", related_name="training_runs")
    label_sources = models.JSONField(help_text="Label sources to train on; per item the newest of them wins")
    architecture = models.CharField(max_length=50)
    task = models.CharField(max_length=10, choices=Task.choices, default=Task.EMOTION)
    queue = models.CharField(max_length=10, choices=Queue.choices, default=Queue.GPU)
    config = models.JSONField(help_text="ml.training.TrainConfig fields chosen at launch")

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    message = models.TextField(blank=True, help_text="why the run failed or stopped")
    cancel_requested = models.BooleanField(default=False)

    epoch = models.PositiveIntegerField(default=0, help_text="the epoch being trained (or last finished)")
    progress = models.FloatField(default=0.0, help_text="0..1 of the training time")
    eta_seconds = models.FloatField(null=True, blank=True)
    train_loss = models.FloatField(null=True, blank=True, help_text="running loss of the current epoch")
    history = models.JSONField(default=list, help_text="per finished epoch: loss and validation metrics")
    data_summary = models.JSONField(default=dict, help_text="items per split and class that were trained on")
    log_tail = models.TextField(blank=True)

    worker_host = models.CharField(max_length=200, blank=True)
    device = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="times a worker took the run up")
    resumed_from_epoch = models.PositiveIntegerField(null=True, blank=True)
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=50, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="last time its task was sent to the broker")

    model_version = models.ForeignKey(
        "modelzoo.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="training_runs"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"run {self.pk} {self.name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def total_epochs(self) -> int:
        return int(self.config.get("epochs", 0))
