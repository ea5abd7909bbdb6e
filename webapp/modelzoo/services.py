"""Registering checkpoints as model versions, and choosing the one predictions use.

Predictions ask `active_version()` each time they run (one indexed query), so a promotion
reaches every worker on its next job without a restart.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import transaction

from webapp.core import jobs
from webapp.core.exceptions import ApplicationError
from webapp.modelzoo.models import EvaluationJob, ModelVersion, Promotion
from webapp.modelzoo.tasks import EVALUATION

BUNDLED_DIR = "models"
# The bundled model that answers predictions on a fresh install.
DEFAULT_BUNDLED = "ferplus_default.pt"


class PromotionError(ApplicationError):
    """A promotion or rollback that cannot happen; the message is for the user (the API: 400 on `model`)."""

    field = "model"


def checkpoint_tag(path: Path) -> str:
    """The version string ml.pipeline stamps on predictions made with this file."""
    from ml.pipeline import checkpoint_version

    return checkpoint_version(path)


def register_checkpoint(
    path: Path, *, source: str, name: str = "", description: str = "", stored_name: str | None = None
) -> tuple[ModelVersion, bool]:
    """The ModelVersion for this checkpoint file, created from its metadata if new.

    Idempotent by content: registering the same bytes twice returns the first row.
    `path` is a local file read for the metadata. `stored_name` is where the file storage keeps
    its copy (trained checkpoints stored with webapp.core.storage.store_file); without one,
    `path` must lie under the project root (bundled) or MEDIA_ROOT (trained, local storage).
    """
    from ml.checkpoint import load_checkpoint
    from ml.models import count_parameters

    path = Path(path).resolve()
    tag = checkpoint_tag(path)
    existing = ModelVersion.objects.filter(tag=tag).first()
    if existing is not None:
        return existing, False
    if stored_name is None:
        root = Path(settings.BASE_DIR if source == ModelVersion.Source.BUNDLED else settings.MEDIA_ROOT).resolve()
        stored_name = str(path.relative_to(root))
    elif PurePosixPath(stored_name).name != path.name:
        # The tag holds the file's stem, and every machine loads a copy under the stored name.
        raise ValueError(f"{path} is stored as {stored_name}: a checkpoint keeps its file name when stored")
    checkpoint = load_checkpoint(path)
    version, created = ModelVersion.objects.get_or_create(
        tag=tag,
        defaults={
            "name": name or path.stem,
            "source": source,
            "checkpoint": stored_name,
            "architecture": checkpoint.arch,
            "label_set": checkpoint.label_set.name,
            "num_classes": checkpoint.label_set.num_classes,
            "input_size": checkpoint.input_size,
            "in_chans": checkpoint.in_chans,
            "parameter_count": count_parameters(checkpoint.build_model()),
            "va_head": checkpoint.va_head,
            "va_learned": checkpoint.va_learned,
            "metrics": _json_safe(checkpoint.metrics),
            "config": _json_safe(checkpoint.config),
            "description": description,
        },
    )
    return version, created


def ensure_bundled_models() -> list[ModelVersion]:
    """Register every checkpoint in models/ and make the default active if none is."""
    versions = []
    for path in sorted((Path(settings.BASE_DIR) / BUNDLED_DIR).glob("*.pt")):
        version, _ = register_checkpoint(path, source=ModelVersion.Source.BUNDLED)
        versions.append(version)
    if not ModelVersion.objects.filter(is_active=True).exists():
        default = next((v for v in versions if v.checkpoint.endswith(DEFAULT_BUNDLED)), None)
        if default is not None:
            promote(default, user=None)
    return versions


def active_version() -> ModelVersion:
    """The version predictions use; on a fresh database the bundled default is registered first."""
    version = ModelVersion.objects.filter(is_active=True).first()
    if version is None:
        ensure_bundled_models()
        version = ModelVersion.objects.filter(is_active=True).first()
    if version is None:
        raise PromotionError(f"no model is active and {BUNDLED_DIR}/{DEFAULT_BUNDLED} is missing")
    return version


def promote(version: ModelVersion, user=None, *, is_rollback: bool = False) -> Promotion:
    """Make `version` the active one; its checkpoint must still be stored."""
    if not version.checkpoint_exists():
        raise PromotionError(f"the checkpoint of {version.tag} is missing ({version.checkpoint})")
    with transaction.atomic():
        previous = ModelVersion.objects.select_for_update().filter(is_active=True).first()
        if previous is not None and previous.pk == version.pk:
            raise PromotionError(f"{version.tag} is already the active model")
        ModelVersion.objects.filter(is_active=True).update(is_active=False)
        ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
        version.is_active = True
        return Promotion.objects.create(
            model_version=version, previous=previous, is_rollback=is_rollback, promoted_by=user
        )


def rollback(user=None) -> Promotion:
    """Re-activate the version the last promotion replaced."""
    last = Promotion.objects.select_related("previous").first()
    if last is None or last.previous is None:
        raise PromotionError("there is no earlier active model to roll back to")
    return promote(last.previous, user, is_rollback=True)


def _json_safe(value):
    """Checkpoint metadata as plain JSON types (numbers from numpy/torch become floats)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def queue_evaluation(version: ModelVersion) -> None:
    """Measure the version (latency, every compatible dataset) on a `cpu` worker; re-queuing refreshes it.

    Its EvaluationJob row is the truth (webapp.core.jobs): a send the broker refuses is retried
    by the job sweeper; a version being measured right now is not queued a second time.
    """
    from django.utils import timezone

    with transaction.atomic():
        ModelVersion.objects.filter(pk=version.pk).update(evaluation_queued_at=timezone.now())
        job, created = EvaluationJob.objects.select_for_update().get_or_create(version_id=version.pk)
        if job.status == EvaluationJob.Status.RUNNING:
            return
        if not created:
            EvaluationJob.objects.filter(pk=job.pk).update(status="pending", attempts=0, message="", finished_at=None)
        jobs.send_after_commit(EVALUATION, version.pk)


def queue_first_evaluations() -> int:
    """Queue every version never measured (the bundled ones on a fresh site); returns how many."""
    from webapp.datasets.models import Dataset

    if not Dataset.objects.exists():
        return 0  # nothing to measure on yet: try again on a later view
    pending = list(ModelVersion.objects.filter(evaluation_queued_at__isnull=True))
    for version in pending:
        queue_evaluation(version)
    return len(pending)
