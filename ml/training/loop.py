"""The training loop, as one top-to-bottom story: data, model, optimiser, epochs, checkpoints.

`train(config, progress=callback)` is used by `python -m ml train` and by the Celery worker.
Images live in memory as uint8 tensors; each batch is normalised and augmented with one
affine warp, which keeps a 2-core CPU busy with convolutions rather than data loading.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ml.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from ml.data import FaceSet, load_faceset, stratified_split
from ml.data.transforms import augment, channel_stats, normalize, to_tensor
from ml.evaluation.metrics import classification_report
from ml.models import EmotionNet, create_model
from ml.taxonomy import EMOTION_INDEX
from ml.training.config import TrainConfig
from ml.training.losses import class_weights, soft_cross_entropy

log = logging.getLogger(__name__)

# progress(epoch=, step=, loss=, metrics=, eta=): metrics is {} during an epoch, the validation
# metrics at its end (step == steps_per_epoch); eta is the estimated seconds left for the run.
ProgressCallback = Callable[..., None]

LAST, BEST, HISTORY = "last.pt", "best.pt", "history.json"


@dataclass
class TrainResult:
    best_checkpoint: Path
    last_checkpoint: Path
    best_metrics: dict
    history: list[dict] = field(default_factory=list)
    stopped_early: bool = False


def train(config: TrainConfig, progress: ProgressCallback | None = None) -> TrainResult:
    config.validate()
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    torch.manual_seed(config.seed)
    out_dir = Path(config.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    train_set, val_set = load_data(config)
    label_set = train_set.label_set
    use_distribution = config.label_mode == "distribution" or (
        config.label_mode == "auto" and train_set.soft_targets is not None
    )
    if config.label_mode == "distribution" and train_set.soft_targets is None:
        raise ValueError("label_mode=distribution needs vote data (e.g. FER+ label.csv)")
    mean, std = channel_stats(train_set.images)
    fingerprint = f"{train_set.fingerprint()}:{val_set.fingerprint()}"
    log.info("train %d items %s, val %d items", len(train_set), train_set.class_counts(), len(val_set))

    data = training_tensors(train_set, config, use_distribution, mean, std)

    model = create_model(
        config.arch,
        num_classes=label_set.num_classes,
        in_chans=config.channels,
        input_size=config.input_size,
        va_head=config.va_head,
        pretrained_path=config.pretrained_path,
        dropout=config.dropout,
    )
    steps_per_epoch = math.ceil(len(train_set) / config.batch_size)
    if config.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, config.max_steps_per_epoch)
    total_steps = steps_per_epoch * config.epochs
    optimizer = make_optimizer(model, config)
    scheduler = warmup_cosine(optimizer, int(config.warmup_epochs * steps_per_epoch), total_steps)

    def make_checkpoint(epoch: int, metrics: dict, training_state: dict | None) -> Checkpoint:
        return Checkpoint(
            arch=config.arch, label_set=label_set, input_size=config.input_size, in_chans=config.channels,
            mean=mean, std=std, state_dict=model.state_dict(), va_head=config.va_head, config=config.to_dict(),
            metrics=metrics, data_fingerprint=fingerprint, epoch=epoch, training_state=training_state,
        )  # fmt: skip

    start_epoch, history, best, stale = 1, [], None, 0
    if config.resume and (out_dir / LAST).is_file():
        start_epoch, history, best, stale = resume_from(out_dir / LAST, model, optimizer, scheduler, fingerprint)
        log.info("resumed from %s at epoch %d", out_dir / LAST, start_epoch)

    started, steps_done = time.monotonic(), 0
    stopped_early = False
    for epoch in range(start_epoch, config.epochs + 1):
        model.train()
        generator = torch.Generator().manual_seed(config.seed * 100_003 + epoch)  # same order after a resume
        order = epoch_order(len(train_set), config.batch_size * steps_per_epoch, data.sample_weights, generator)
        running, seen = 0.0, 0
        for step in range(1, steps_per_epoch + 1):
            idx = order[(step - 1) * config.batch_size : step * config.batch_size]
            if len(idx) == 0:
                break
            loss = batch_loss(model, data, idx, config, generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            running, seen, steps_done = running + loss.item() * len(idx), seen + len(idx), steps_done + 1
            if progress and (step % config.log_every == 0):
                eta = (time.monotonic() - started) / steps_done * (total_steps - (epoch - 1) * steps_per_epoch - step)
                progress(epoch=epoch, step=step, loss=running / seen, metrics={}, eta=eta)

        report = evaluate_model(model, val_set, mean, std)
        metrics = {"epoch": epoch, "train_loss": running / max(seen, 1), "lr": scheduler.get_last_lr()[0], **report}
        history.append(metrics)
        improved = best is None or metrics[config.monitor] > best[config.monitor]
        if improved:
            best, stale = metrics, 0
            save_checkpoint(out_dir / BEST, make_checkpoint(epoch, metrics, None), include_training_state=False)
        else:
            stale += 1
        state = {
            "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "epoch": epoch,
            "history": history, "best": best, "stale": stale,
        }  # fmt: skip
        save_checkpoint(out_dir / LAST, make_checkpoint(epoch, metrics, state))
        (out_dir / HISTORY).write_text(json.dumps(history, indent=2))
        if progress:
            remaining = (config.epochs - epoch) * steps_per_epoch
            eta = (time.monotonic() - started) / max(steps_done, 1) * remaining
            progress(epoch=epoch, step=steps_per_epoch, loss=metrics["train_loss"], metrics=metrics, eta=eta)
        if stale >= config.patience:
            log.info("early stop after epoch %d: %s did not improve for %d epochs", epoch, config.monitor, stale)
            stopped_early = True
            break

    return TrainResult(out_dir / BEST, out_dir / LAST, best or {}, history, stopped_early)


@dataclass
class TrainingTensors:
    """The training set as tensors, plus what every batch needs."""

    images: torch.Tensor  # uint8 (N, H, W[, C])
    targets: torch.Tensor  # (N, C) distributions or one-hot
    va: torch.Tensor  # (N, 2)
    mean: list[float]
    std: list[float]
    loss_weights: torch.Tensor | None  # per class, for imbalance="loss"
    sample_weights: torch.Tensor | None  # per item, for imbalance="sampler"


def training_tensors(
    faces: FaceSet, config: TrainConfig, use_distribution: bool, mean: list[float], std: list[float]
) -> TrainingTensors:
    num_classes = faces.label_set.num_classes
    targets = faces.targets() if use_distribution else np.eye(num_classes, dtype=np.float32)[faces.labels]
    weights = class_weights(faces.labels, num_classes, config.imbalance_power)
    return TrainingTensors(
        images=torch.from_numpy(faces.images),
        targets=torch.from_numpy(targets),
        va=torch.from_numpy(faces.va_targets()),
        mean=mean,
        std=std,
        loss_weights=torch.from_numpy(weights) if config.imbalance == "loss" else None,
        sample_weights=torch.from_numpy(weights[faces.labels]).double() if config.imbalance == "sampler" else None,
    )


def batch_loss(
    model: EmotionNet, data: TrainingTensors, idx: torch.Tensor, config: TrainConfig, generator: torch.Generator
) -> torch.Tensor:
    """Augment and normalise one batch; emotion loss (+ weighted V/A regression loss)."""
    x = to_tensor(data.images[idx])
    if config.augment:
        x = augment(x, generator)
    out = model(normalize(x, data.mean, data.std))
    loss = soft_cross_entropy(out.logits, data.targets[idx], data.loss_weights, config.label_smoothing)
    if out.va is not None and config.va_loss_weight > 0:
        loss = loss + config.va_loss_weight * F.mse_loss(out.va, data.va[idx])
    return loss


def load_data(config: TrainConfig) -> tuple[FaceSet, FaceSet]:
    """Training and validation sets; without a validation split, a deterministic stratified hold-out."""
    train_set = load_faceset(config.data, config.train_split, config.input_size, config.channels)
    if config.val_split is None and config.val_data is None:
        keep, held = stratified_split(train_set.labels, config.val_fraction, config.seed)
        return train_set.subset(keep), train_set.subset(held)
    val_set = load_faceset(config.val_data or config.data, config.val_split, config.input_size, config.channels)
    return train_set, align_label_set(val_set, train_set)


def align_label_set(faces: FaceSet, reference: FaceSet) -> FaceSet:
    """Express `faces` in `reference`'s label set, dropping items of classes the reference lacks."""
    if faces.label_set == reference.label_set:
        return faces
    names = [faces.label_set.classes[i] for i in faces.labels]
    keep = np.array([i for i, n in enumerate(names) if n in reference.label_set.classes], dtype=np.int64)
    if len(keep) == 0:
        raise ValueError(f"validation data shares no class with training label set {reference.label_set.classes}")
    aligned = faces.subset(keep)
    aligned.labels = np.array([reference.label_set.index(names[i]) for i in keep], dtype=np.int64)
    if faces.soft_targets is not None:
        canonical = faces.label_set.to_canonical(faces.soft_targets[keep])
        cols = [EMOTION_INDEX[c] for c in reference.label_set.classes]
        soft = canonical[:, cols]
        aligned.soft_targets = (soft / np.clip(soft.sum(axis=1, keepdims=True), 1e-12, None)).astype(np.float32)
    aligned.label_set = reference.label_set
    return aligned


def epoch_order(n: int, count: int, sample_weights: torch.Tensor | None, generator: torch.Generator) -> torch.Tensor:
    """Indices for one epoch: a permutation, or class-balanced draws with replacement."""
    if sample_weights is not None:
        return torch.multinomial(sample_weights, count, replacement=True, generator=generator)
    return torch.randperm(n, generator=generator)


def make_optimizer(model: EmotionNet, config: TrainConfig) -> torch.optim.Optimizer:
    # No weight decay on biases and BatchNorm parameters (standard practice; see torchvision's reference).
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum, nesterov=True)
    if config.optimizer == "adam":
        return torch.optim.Adam(groups, lr=config.lr)
    return torch.optim.AdamW(groups, lr=config.lr)


def warmup_cosine(
    optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up, then cosine decay to zero, stepped once per batch."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def resume_from(path: Path, model, optimizer, scheduler, fingerprint: str) -> tuple[int, list, dict | None, int]:
    ckpt = load_checkpoint(path)
    if ckpt.training_state is None:
        raise ValueError(f"{path} has no training state to resume from")
    if ckpt.data_fingerprint != fingerprint:
        raise ValueError(f"{path} was trained on different data ({ckpt.data_fingerprint} != {fingerprint})")
    state = ckpt.training_state
    model.load_state_dict(ckpt.state_dict)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    return state["epoch"] + 1, list(state["history"]), state["best"], state["stale"]


@torch.no_grad()
def predict_probs(
    model: EmotionNet, images: np.ndarray, mean: list[float], std: list[float], batch_size: int = 256
) -> tuple[np.ndarray, np.ndarray | None]:
    """Softmax probabilities (N, C) and V/A (N, 2) or None, in eval mode."""
    was_training = model.training
    model.eval()
    probs, vas = [], []
    for start in range(0, len(images), batch_size):
        out = model(normalize(to_tensor(images[start : start + batch_size]), mean, std))
        probs.append(torch.softmax(out.logits, dim=1).numpy())
        if out.va is not None:
            vas.append(out.va.numpy())
    model.train(was_training)
    return np.concatenate(probs), (np.concatenate(vas) if vas else None)


def evaluate_model(model: EmotionNet, faces: FaceSet, mean: list[float], std: list[float]) -> dict:
    probs, _ = predict_probs(model, faces.images, mean, std)
    report = classification_report(probs, faces.labels, faces.label_set.classes)
    return {**report.summary(), "nll": report.nll}
