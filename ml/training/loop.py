"""The training loop, as one top-to-bottom story: data, model, optimiser, epochs, checkpoints.

`train(config, progress=callback)` is used by `python -m ml train` and by the Celery worker.
Images live in memory as uint8 tensors; each batch is augmented with one affine warp (plus the
preset's photometric changes, ml/data/presets.py) and normalised, which keeps a 2-core CPU busy
with convolutions rather than data loading. On CUDA the steps run under autocast and in
channels_last (ml/training/precision.py); last.pt carries the RNG states so a resumed run
continues exactly as an uninterrupted one (ml/training/rng.py).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import torch

from ml.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from ml.data import FaceSet, load_faceset, stratified_split
from ml.data.presets import get_preset
from ml.data.transforms import channel_stats, normalize, to_tensor
from ml.evaluation.metrics import classification_report, keypoint_report, va_report
from ml.evaluation.predict import has_annotated_va, has_va_targets, landmarks_of, predict_outputs
from ml.models import EmotionNet, create_model
from ml.models.landmark_nets import NUM_LANDMARKS
from ml.models.points import to_normalized
from ml.taxonomy import EMOTION_INDEX
from ml.training import distributed
from ml.training.config import MONITORS, TrainConfig
from ml.training.ema import WeightAverage
from ml.training.geometry import augment_with_points
from ml.training.labels import draw_labels, label_generator, resolve_label_mode
from ml.training.losses import class_weights, masked_keypoint_loss, soft_cross_entropy, va_loss
from ml.training.mixing import mix_batch
from ml.training.precision import PrecisionPlan, has_conv2d, optimizer_step, plan_precision
from ml.training.rng import capture_rng_state, restore_rng_state
from ml.training.schedules import make_scheduler

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
    ctx = distributed.setup(config.device)
    if ctx.enabled:
        log.info("rank %d of %d processes (%s) on %s", ctx.rank, ctx.world_size, ctx.backend, ctx.device)
    try:
        return _train(config, ctx, progress if ctx.is_main else None)
    finally:
        ctx.close()


def _train(config: TrainConfig, ctx: distributed.DistContext, progress: ProgressCallback | None) -> TrainResult:
    out_dir = Path(config.out_dir)
    if ctx.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)

    train_set, val_set = load_data(config)
    if config.task in ("emotion", "both"):  # rows with V/A but no emotion serve only the va task
        train_set, val_set = train_set.with_emotion_labels(), val_set.with_emotion_labels()
    label_set = train_set.label_set
    label_mode = resolve_label_mode(config.label_mode, train_set.soft_targets is not None, config.task)
    check_task_data(train_set, val_set, config.task)
    mean, std = channel_stats(train_set.images)
    fingerprint = f"{train_set.fingerprint()}:{val_set.fingerprint()}"
    log.info("train %d items %s, val %d items", len(train_set), train_set.class_counts(), len(val_set))
    log.info("labels: %s; augmentation: %s", label_mode, config.augmentation_preset())

    data = training_tensors(train_set, config, label_mode in ("distribution", "probability"), mean, std)
    num_keypoints = train_set.keypoints.shape[1] if config.task == "keypoints" else 0
    model = create_model(
        config.arch,
        num_classes=label_set.num_classes,
        in_chans=config.channels,
        input_size=config.input_size,
        va_head=config.uses_va_head(),
        pretrained_path=config.pretrained_path,
        dropout=config.dropout,
        num_keypoints=num_keypoints,
        class_names=label_set.classes,
    ).to(ctx.device)
    if model.uses_landmarks and data.landmarks is None:
        log.warning("%s reads 68 landmarks but the data has none: it will use its learned default shape", config.arch)
    precision = plan_precision(ctx.device, config.amp, config.channels_last, has_conv2d(model))
    for note in precision.notes:
        log.info(note)
    if precision.channels_last:
        model = model.to(memory_format=torch.channels_last)
    scaler = precision.make_scaler()
    ema = WeightAverage(model, config.ema_decay) if config.ema_decay else None  # validated and saved when on
    evaluated = model if ema is None else ema.module
    steps_per_epoch = math.ceil(len(train_set) / config.batch_size)
    if config.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, config.max_steps_per_epoch)
    total_steps = steps_per_epoch * config.epochs
    optimizer = make_optimizer(model, config)
    scheduler = make_scheduler(optimizer, config, steps_per_epoch)
    monitor, higher_is_better = config.monitor_metric(), MONITORS[config.monitor_metric()]

    def make_checkpoint(epoch: int, metrics: dict, training_state: dict | None) -> Checkpoint:
        return Checkpoint(
            arch=config.arch, label_set=label_set, input_size=config.input_size, in_chans=config.channels,
            mean=mean, std=std, state_dict=evaluated.state_dict(), va_head=config.uses_va_head(),
            config=config.to_dict(), metrics=metrics, data_fingerprint=fingerprint, epoch=epoch,
            training_state=training_state, num_keypoints=num_keypoints,
        )  # fmt: skip

    start_epoch, history, best, stale = 1, [], None, 0
    if config.resume and (out_dir / LAST).is_file():
        start_epoch, history, best, stale = resume_from(
            out_dir / LAST, model, optimizer, scheduler, fingerprint, scaler, ema
        )
        log.info("resumed from %s at epoch %d", out_dir / LAST, start_epoch)

    started, steps_done = time.monotonic(), 0
    stopped_early = False
    trainer, trainer_frozen = None, None
    for epoch in range(start_epoch, config.epochs + 1):
        frozen = epoch <= config.freeze_backbone_epochs
        if trainer is None or frozen != trainer_frozen:
            set_backbone_trainable(model, not frozen)
            trainer, trainer_frozen = wrap_for_training(model, ctx, config.task), frozen
            if frozen:
                log.info("epochs 1-%d: backbone frozen, training the heads only", config.freeze_backbone_epochs)
        model.train()
        if frozen:
            model.backbone.eval()  # frozen BatchNorm statistics too, not only the weights
        generator = torch.Generator().manual_seed(config.seed * 100_003 + epoch)  # same order after a resume
        if ctx.enabled:  # each rank augments its items with its own random draws
            generator_aug = torch.Generator().manual_seed(config.seed * 100_003 + epoch + 7919 * ctx.rank)
        order = epoch_order(len(train_set), config.batch_size * steps_per_epoch, data.sample_weights, generator)
        epoch_data = epoch_targets(data, label_mode, config.seed, epoch)
        running, seen = 0.0, 0
        for step in range(1, steps_per_epoch + 1):
            idx = order[(step - 1) * config.batch_size : step * config.batch_size]
            if len(idx) < ctx.world_size:  # a tail too short to give every rank an item
                break
            idx = ctx.shard(idx)
            draws = generator_aug if ctx.enabled else generator
            compute_loss = partial(batch_loss, trainer, epoch_data, idx, config, draws, ctx.device, precision)
            loss = optimizer_step(compute_loss, optimizer, precision, scaler)
            scheduler.step()
            if ema is not None:
                ema.update(model)
            running, seen, steps_done = running + loss.item() * len(idx), seen + len(idx), steps_done + 1
            if progress and (step % config.log_every == 0):
                eta = (time.monotonic() - started) / steps_done * (total_steps - (epoch - 1) * steps_per_epoch - step)
                progress(epoch=epoch, step=step, loss=running / seen, metrics={}, eta=eta)

        metrics = None
        if ctx.is_main:
            report = evaluate_model(evaluated, val_set, mean, std, task=config.task)
            metrics = {"epoch": epoch, "train_loss": running / max(seen, 1), "lr": scheduler.get_last_lr()[0], **report}
            metrics["precision"] = precision.summary()  # what the steps ran in, for cards (validation: float32)
            if config.uses_va_head():
                metrics["va_labels"] = "annotated" if train_set.valence_arousal is not None else "derived"
        metrics = ctx.broadcast(metrics)
        history.append(metrics)
        improved = best is None or is_better(metrics[monitor], best[monitor], higher_is_better)
        if improved:
            best, stale = metrics, 0
        else:
            stale += 1
        if ctx.is_main:
            if improved:
                save_checkpoint(out_dir / BEST, make_checkpoint(epoch, metrics, None), include_training_state=False)
            state = {
                "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "epoch": epoch,
                "history": history, "best": best, "stale": stale, "rng": capture_rng_state(),
            }  # fmt: skip
            if scaler is not None:
                state["grad_scaler"] = scaler.state_dict()
            if ema is not None:  # the checkpoint's weights are the average; the trained ones go here
                state.update(raw_weights=model.state_dict(), ema_steps=ema.steps)
            save_checkpoint(out_dir / LAST, make_checkpoint(epoch, metrics, state))
            (out_dir / HISTORY).write_text(json.dumps(history, indent=2))
        ctx.barrier()  # the other ranks may resume from last.pt only once it is written
        if progress:
            remaining = (config.epochs - epoch) * steps_per_epoch
            eta = (time.monotonic() - started) / max(steps_done, 1) * remaining
            progress(epoch=epoch, step=steps_per_epoch, loss=metrics["train_loss"], metrics=metrics, eta=eta)
        if stale >= config.patience:
            log.info("early stop after epoch %d: %s did not improve for %d epochs", epoch, monitor, stale)
            stopped_early = True
            break

    return TrainResult(out_dir / BEST, out_dir / LAST, best or {}, history, stopped_early)


def is_better(value: float, best: float, higher_is_better: bool) -> bool:
    return value > best if higher_is_better else value < best


def set_backbone_trainable(model: EmotionNet, trainable: bool) -> None:
    """Freeze or unfreeze the backbone; the heads always train."""
    for parameter in model.backbone.parameters():
        parameter.requires_grad_(trainable)


def wrap_for_training(model: EmotionNet, ctx: distributed.DistContext, task: str) -> torch.nn.Module:
    """The module the training steps call: the model itself, or a DDP wrapper under torchrun.

    DDP records which parameters need gradients when it is built, so it is rebuilt when the
    backbone is unfrozen. find_unused_parameters: tasks va and keypoints leave the emotion
    head without a gradient, which DDP must be told about (it costs a graph traversal per step).
    """
    if not ctx.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    unused = task in ("va", "keypoints")
    return DistributedDataParallel(model, device_ids=device_ids, find_unused_parameters=unused)


def check_task_data(train_set: FaceSet, val_set: FaceSet, task: str) -> None:
    """Refuse data that cannot teach or measure the task, with a message saying what is missing."""
    for name, faces in (("training", train_set), ("validation", val_set)):
        if len(faces) == 0:
            raise ValueError(f"the {name} set is empty")
        if task in ("emotion", "both") and (faces.labels < 0).any():
            raise ValueError(f"task {task} needs an emotion label on every {name} item; some have none")
        if task == "va" and not has_annotated_va(faces):
            raise ValueError(f"task va needs annotated valence/arousal (e.g. an AffectNet CSV) in the {name} data")
        if task == "keypoints" and faces.keypoints is None:
            raise ValueError(f"task keypoints needs keypoint annotations (facial-keypoints CSV) in the {name} data")
    if task == "keypoints" and train_set.keypoints.shape[1] != val_set.keypoints.shape[1]:
        raise ValueError("training and validation data have different numbers of keypoints")


@dataclass
class TrainingTensors:
    """The training set as tensors, plus what every batch needs."""

    images: torch.Tensor  # uint8 (N, H, W[, C])
    targets: torch.Tensor  # (N, C) distributions or one-hot
    va: torch.Tensor | None  # (N, 2); None for data with neither emotion labels nor V/A (keypoints)
    mean: list[float]
    std: list[float]
    loss_weights: torch.Tensor | None  # per class, for imbalance="loss"
    sample_weights: torch.Tensor | None  # per item, for imbalance="sampler"
    landmarks: torch.Tensor | None = None  # (N, 68, 2) normalised, NaN where missing; for landmark models
    keypoints: torch.Tensor | None = None  # (N, K, 2) normalised, NaN where missing; task "keypoints"


def epoch_targets(data: TrainingTensors, label_mode: str, seed: int, epoch: int) -> TrainingTensors:
    """The tensors one epoch trains on: with label_mode probability, one class drawn per face from its
    vote distribution (seeded by seed and epoch); otherwise `data` unchanged."""
    if label_mode != "probability":
        return data
    return replace(data, targets=draw_labels(data.targets, label_generator(seed, epoch)))


def training_tensors(
    faces: FaceSet, config: TrainConfig, use_distribution: bool, mean: list[float], std: list[float]
) -> TrainingTensors:
    """The training set as tensors; targets are the vote distributions when use_distribution, else one-hot."""
    num_classes = faces.label_set.num_classes
    has_labels = bool((faces.labels >= 0).all())
    labels = np.where(faces.labels >= 0, faces.labels, 0)  # keypoint data has none; its emotion head idles
    targets = faces.targets() if use_distribution else np.eye(num_classes, dtype=np.float32)[labels]
    weights = class_weights(labels, num_classes, config.imbalance_power)
    if config.imbalance != "none" and not has_labels:
        raise ValueError(f"imbalance={config.imbalance} needs emotion labels, and this data has none")
    points = None if faces.keypoints is None else torch.from_numpy(to_normalized(faces.keypoints, faces.size))
    return TrainingTensors(
        images=torch.from_numpy(faces.images),
        targets=torch.from_numpy(targets),
        va=torch.from_numpy(faces.va_targets()) if has_labels or faces.valence_arousal is not None else None,
        mean=mean,
        std=std,
        loss_weights=torch.from_numpy(weights) if config.imbalance == "loss" else None,
        sample_weights=torch.from_numpy(weights[labels]).double() if config.imbalance == "sampler" else None,
        landmarks=points if points is not None and points.shape[1] == NUM_LANDMARKS else None,
        keypoints=points if config.task == "keypoints" else None,
    )


def batch_loss(
    model: torch.nn.Module,
    data: TrainingTensors,
    idx: torch.Tensor,
    config: TrainConfig,
    generator: torch.Generator,
    device: torch.device = torch.device("cpu"),
    precision: PrecisionPlan | None = None,
) -> torch.Tensor:
    """Augment (config's preset) and normalise one batch, then the loss of the task:

    emotion: cross-entropy (+ va_loss_weight x V/A MSE when the V/A head is on, as before tasks existed);
    both: cross-entropy + V/A MSE + (1 - CCC); va: V/A MSE + (1 - CCC); keypoints: masked MSE.
    The batch goes to the device as uint8 and is augmented there (the random draws stay on the CPU
    generator, so a run draws the same on any device); it reaches the model in the precision plan's
    memory format (channels_last on CUDA).
    """
    x = to_tensor(data.images[idx].to(device, non_blocking=True))
    points = data.keypoints if data.keypoints is not None else data.landmarks
    points = None if points is None else points[idx].to(device)
    preset = get_preset(config.augmentation_preset())
    if preset.geometric or preset.photometric:
        x, points = augment_with_points(x, points, generator, preset)
    targets, va_target = data.targets[idx], None if data.va is None else data.va[idx]
    if config.mix != "none" and points is None:  # points cannot follow a blend (ml/training/mixing.py)
        x, targets, va_target = mix_batch(x, targets, va_target, generator, config.mix, config.mix_alpha)
    x = normalize(x, data.mean, data.std)
    if precision is not None and precision.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    landmarks = points if points is not None and data.keypoints is None else None
    out = model(x, landmarks) if landmarks is not None else model(x)
    # Losses in float32 even under autocast: CCC's means and variances lose too much in 16 bits.
    logits, va, keypoints = (None if t is None else t.float() for t in (out.logits, out.va, out.keypoints))
    if config.task == "keypoints":
        return masked_keypoint_loss(keypoints, points)
    va_target = _to(va_target, device)
    if config.task == "va":
        return va_loss(va, va_target)
    loss = soft_cross_entropy(logits, targets.to(device), _to(data.loss_weights, device), config.label_smoothing)
    if config.task == "both":
        return loss + va_loss(va, va_target)
    if va is not None and config.va_loss_weight > 0:
        loss = loss + config.va_loss_weight * va_loss(va, va_target, use_ccc=False)
    return loss


def _to(tensor: torch.Tensor | None, device: torch.device) -> torch.Tensor | None:
    return None if tensor is None else tensor.to(device)


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


def resume_from(
    path: Path,
    model,
    optimizer,
    scheduler,
    fingerprint: str,
    scaler: torch.amp.GradScaler | None = None,
    ema: WeightAverage | None = None,
) -> tuple[int, list, dict | None, int]:
    """Load weights, optimizer, scheduler, GradScaler and the global RNG states from a training checkpoint.

    Returns (next epoch, history, best metrics, epochs without improvement). Checkpoints written
    before RNG states were saved resume too, but their dropout draws differ from an uninterrupted run.
    """
    ckpt = load_checkpoint(path)
    if ckpt.training_state is None:
        raise ValueError(f"{path} has no training state to resume from")
    if ckpt.data_fingerprint != fingerprint:
        raise ValueError(f"{path} was trained on different data ({ckpt.data_fingerprint} != {fingerprint})")
    state = ckpt.training_state
    if ema is not None:
        if "raw_weights" not in state:
            raise ValueError(f"{path} was trained without EMA; resume it with the same --ema-decay 0")
        ema.load(ckpt.state_dict, state["ema_steps"])
    model.load_state_dict(state.get("raw_weights", ckpt.state_dict))
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    if scaler is not None and "grad_scaler" in state:
        scaler.load_state_dict(state["grad_scaler"])
    if "rng" in state:
        restore_rng_state(state["rng"])
    else:
        log.warning("%s holds no RNG state (older file): random draws will differ from an uninterrupted run", path)
    return state["epoch"] + 1, list(state["history"]), state["best"], state["stale"]


def evaluate_model(
    model: EmotionNet, faces: FaceSet, mean: list[float], std: list[float], task: str = "emotion"
) -> dict:
    """Validation metrics for a task: emotion (accuracy, F1, ECE, NLL), V/A (RMSE, CCC, ...), keypoint RMSE."""
    # A keypoint regressor must not be handed its 68-point targets as landmark input.
    landmarks = None if task == "keypoints" else landmarks_of(faces)
    predictions = predict_outputs(model, faces.images, mean, std, landmarks=landmarks)
    metrics: dict = {}
    if task == "keypoints":
        return keypoint_report(faces.keypoints, predictions.keypoints)
    if task in ("emotion", "both"):
        report = classification_report(predictions.probs, faces.labels, faces.label_set.classes)
        metrics.update(report.summary(), nll=report.nll)
    if predictions.va is not None and has_va_targets(faces):
        metrics.update(va_report(faces.va_targets(), predictions.va))
    return metrics
