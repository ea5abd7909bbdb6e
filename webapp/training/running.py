"""A training run on a worker, top to bottom: data, ml's training loop, checkpoint, evaluations.

Called by the `training.run` task once the worker holds the run's lease (services.claim).
While it trains, a heartbeat thread renews the lease and watches for a cancel request; the
progress callback that ml calls after every step stops the loop when either says so.
ml writes last.pt every epoch and resumes from it, so a run taken over after its worker
died continues at the epoch after its last checkpoint; it never starts over silently (the
log says which epoch it resumed from, or that no checkpoint existed yet).
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import threading
import time
from collections import deque
from pathlib import Path

import torch
from django.db import connection

from webapp.core.storage import store_file
from webapp.modelzoo import evaluation as model_evaluation
from webapp.modelzoo.models import ModelVersion
from webapp.modelzoo.services import register_checkpoint
from webapp.training import checkpoint_sync, services
from webapp.training.materialize import CLASS_FOLDERS, Materialized, materialize
from webapp.training.models import TrainingRun

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 1.0
TRAINED_MARKER = "result.json"
TRAINED_MODELS_DIR = "models/trained"
# What the log says about a validation or an evaluation, whichever of these the task measures.
HEADLINE_METRICS = ("accuracy", "macro_f1", "va_ccc", "va_rmse", "keypoint_rmse")


class RunStopped(Exception):
    """Training stops early: cancelled by an admin, or the lease went to another worker."""


class LogTail(logging.Handler):
    """Keeps the last lines that ml and this module log, for the run page."""

    def __init__(self, lines: int = services.LOG_TAIL_LINES, initial: str = ""):
        super().__init__(level=logging.INFO)
        self.lines = deque(initial.splitlines(), maxlen=lines)
        self.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.lines)


class Heartbeat(threading.Thread):
    """Renews the lease every few seconds; notices cancel requests and a lost lease."""

    def __init__(self, run_id: int, owner: str):
        super().__init__(name=f"heartbeat-run-{run_id}", daemon=True)
        self.run_id, self.owner = run_id, owner
        self.stop_event, self.cancelled, self.lost = threading.Event(), threading.Event(), threading.Event()

    def run(self) -> None:
        try:
            while not self.stop_event.wait(services.HEARTBEAT_SECONDS):
                if not services.renew_lease(self.run_id, self.owner):
                    self.lost.set()
                    return
                if services.cancel_requested(self.run_id):
                    self.cancelled.set()
        finally:
            connection.close()  # this thread's own database connection

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=10)


class Progress:
    """ml's progress callback: writes the run's progress (throttled) and stops it when asked."""

    def __init__(self, run: TrainingRun, owner: str, heartbeat: Heartbeat, tail: LogTail, steps_per_epoch: int,
                 uploader: checkpoint_sync.Uploader | None = None):  # fmt: skip
        self.run, self.owner, self.heartbeat, self.tail, self.uploader = run, owner, heartbeat, tail, uploader
        self.steps_per_epoch = max(steps_per_epoch, 1)
        self.history = list(run.history)
        self.last_saved = 0.0

    def __call__(self, epoch: int, step: int, loss: float, metrics: dict, eta: float) -> None:
        if self.heartbeat.cancelled.is_set():
            raise RunStopped("cancelled by an admin")
        if self.heartbeat.lost.is_set():
            raise RunStopped("the lease went to another worker")
        epochs = self.run.total_epochs
        fields = {
            "epoch": epoch, "train_loss": float(loss), "eta_seconds": float(eta),
            "progress": min(1.0, ((epoch - 1) + min(step, self.steps_per_epoch) / self.steps_per_epoch) / epochs),
        }  # fmt: skip
        if metrics:  # the epoch ended: ml validated and wrote last.pt
            if self.uploader is not None:
                self.uploader.push()  # object storage: another machine can resume after this epoch
            self.history = [h for h in self.history if h["epoch"] < epoch] + [_epoch_entry(metrics)]
            fields["history"] = self.history
            shown = ", ".join(f"{k} {metrics[k]:.4f}" for k in HEADLINE_METRICS if k in metrics)
            log.info("epoch %d/%d: loss %.4f, validation %s", epoch, epochs, metrics["train_loss"], shown)
        now = time.monotonic()
        if metrics or now - self.last_saved >= PROGRESS_EVERY_SECONDS:
            services.save_progress(self.run.pk, self.owner, log_tail=self.tail.text(), **fields)
            self.last_saved = now


def _epoch_entry(metrics: dict) -> dict:
    keys = ("epoch", "train_loss", "accuracy", "macro_f1", "weighted_f1", "nll", "va_ccc", "va_rmse", "keypoint_rmse",
            "lr")  # fmt: skip
    return {k: float(metrics[k]) if k != "epoch" else int(metrics[k]) for k in keys if k in metrics}


def device_description() -> str:
    """What ml's device="auto" will train on here."""
    if torch.cuda.is_available():
        return f"cuda:0 ({torch.cuda.get_device_name(0)})"
    return f"cpu ({torch.get_num_threads()} threads)"


def train_config(run: TrainingRun, data: Materialized, out_dir: Path):
    from ml.training import TrainConfig

    config = TrainConfig.from_dict(run.config)
    config.arch, config.out_dir = run.architecture, str(out_dir)
    config.data, config.train_split = data.source("train")
    config.val_data, config.val_split = data.source("val") if "val" in data.roles else (None, None)
    if data.layout == CLASS_FOLDERS:
        config.val_data = None  # the same tree; the split names the folder
    # None and None: ml holds out val_fraction of the training data itself.
    config.task = run.task
    # "both": a second head on V/A, annotated where the data has them, else from the labels' circumplex.
    config.va_head = run.task == TrainingRun.Task.BOTH
    config.device = "auto"  # CUDA when the worker has it
    config.resume, config.log_every = True, 1
    return config


def execute(run: TrainingRun, owner: str) -> str:
    """Train, register and evaluate a run this worker holds; returns the final status."""
    tail = LogTail(initial=run.log_tail)
    loggers = [logging.getLogger("ml"), log]
    for logger in loggers:
        logger.addHandler(tail)
        logger.setLevel(logging.INFO)
    heartbeat = Heartbeat(run.pk, owner)
    heartbeat.start()
    try:
        version = _train_and_register(run, owner, heartbeat, tail)
        services.save_progress(run.pk, owner, status=TrainingRun.Status.EVALUATING, model_version=version,
                               progress=1.0, eta_seconds=0.0, log_tail=tail.text())  # fmt: skip
        _evaluate(version, tail)
        services.finish(run.pk, owner, TrainingRun.Status.DONE, log_tail=tail.text())
        checkpoint_sync.forget(run.pk)
        return TrainingRun.Status.DONE
    except RunStopped as exc:
        log.info("stopped: %s", exc)
        if heartbeat.lost.is_set():
            return "lost"
        services.finish(run.pk, owner, TrainingRun.Status.CANCELLED, str(exc), log_tail=tail.text())
        return TrainingRun.Status.CANCELLED
    except Exception as exc:
        log.exception("run %s failed", run.pk)
        services.finish(run.pk, owner, TrainingRun.Status.FAILED, f"{type(exc).__name__}: {exc}",
                        log_tail=tail.text())  # fmt: skip
        if isinstance(exc, ValueError):
            return TrainingRun.Status.FAILED  # bad data or settings: the message says what
        raise
    finally:
        heartbeat.stop()
        for logger in loggers:
            logger.removeHandler(tail)
        checkpoint_sync.drop_downloaded_data(services.run_dir(run))


def _train_and_register(run: TrainingRun, owner: str, heartbeat: Heartbeat, tail: LogTail) -> ModelVersion:
    from ml.models import uses_landmarks
    from ml.training import train

    folder = services.run_dir(run)
    log.info("attempt %d on %s, %s", run.attempts, run.worker_host, run.device)
    datasets, landmarks = list(run.datasets.all()), uses_landmarks(run.architecture)
    data = materialize(datasets, run.label_sources, folder / "data", task=run.task, landmarks=landmarks)
    log.info("data (%s): %s items per split%s", data.layout, data.items, _skipped_note(data))
    if landmarks:
        log.info("items with 68 landmarks per split: %s (others: the model's default shape)", data.landmark_items)
    services.save_progress(run.pk, owner, data_summary=data.to_dict())
    checkpoints = folder / "checkpoints"
    if checkpoint_sync.fetch(run.pk, checkpoints):
        log.info("fetched the run's last checkpoint from object storage (it trained on another machine)")
    if not (folder / TRAINED_MARKER).is_file():
        config = train_config(run, data, checkpoints)
        _say_where_training_starts(run, owner, checkpoints, config.epochs)
        steps = math.ceil(data.size("train") / config.batch_size)
        if config.max_steps_per_epoch:
            steps = min(steps, config.max_steps_per_epoch)
        uploader = checkpoint_sync.Uploader(run.pk, checkpoints)
        result = train(config, progress=Progress(run, owner, heartbeat, tail, steps, uploader))
        summary = {"best_metrics": result.best_metrics, "epochs_run": len(result.history),
                   "stopped_early": result.stopped_early}  # fmt: skip
        (folder / TRAINED_MARKER).write_text(json.dumps(summary, default=float))
    return _register_best(run, checkpoints / "best.pt")


def _skipped_note(data: Materialized) -> str:
    return "".join(f"; {n} left out: {why}" for why, n in data.skipped.items())


def _say_where_training_starts(run: TrainingRun, owner: str, checkpoints: Path, epochs: int) -> None:
    from ml.checkpoint import load_checkpoint

    last = checkpoints / "last.pt"
    if last.is_file():
        epoch = load_checkpoint(last).epoch
        log.info("resuming from checkpoint of epoch %d: continuing at epoch %d of %d", epoch, epoch + 1, epochs)
        services.save_progress(run.pk, owner, resumed_from_epoch=epoch + 1)
    elif run.attempts > 1:
        log.info("taken over before any epoch finished (no checkpoint yet): starting at epoch 1")
    else:
        log.info("starting at epoch 1 of %d", epochs)


def _register_best(run: TrainingRun, best: Path) -> ModelVersion:
    """Store the best checkpoint (MEDIA_ROOT or object storage) and record it as a model version.

    Stored under the run's own name, replacing an earlier attempt's copy, so a retry registers once.
    """
    named = best.with_name(f"run-{run.pk}-{run.architecture}.pt")  # the file's stem is part of the tag
    shutil.copyfile(best, named)
    stored = store_file(named, f"{TRAINED_MODELS_DIR}/{named.name}")
    description = f"Training run {run.pk}: {', '.join(d.name for d in run.datasets.all())}"
    version, _ = register_checkpoint(named, source=ModelVersion.Source.TRAINED, name=run.name,
                                     description=description, stored_name=stored)  # fmt: skip
    log.info("registered model version %s", version.tag)
    return version


def _evaluate(version: ModelVersion, tail: LogTail) -> None:
    latency = model_evaluation.measure_cpu_latency(version)
    log.info("CPU latency %.2f ms per face", latency)
    for evaluation in model_evaluation.evaluate_version(version):
        m = evaluation.metrics
        shown = ", ".join(f"{k} {m[k]:.4f}" for k in HEADLINE_METRICS if m.get(k) is not None)
        log.info("evaluated on %s/%s: %s (%d items)", evaluation.dataset.name, evaluation.split, shown, m["num_items"])
