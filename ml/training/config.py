"""Training configuration: one flat dataclass, saved inside every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from ml.data.presets import DEFAULT_PRESET, PRESETS
from ml.training.mixing import MIX_MODES

# What a run learns. emotion: the class head (plus, with va_head, V/A from the labels' circumplex
# as an auxiliary target, as before tasks existed); both: emotion + V/A, V/A weighted like emotion;
# va: only valence/arousal, which must be annotated (AffectNet); keypoints: facial keypoint regression.
TASKS = ("emotion", "va", "both", "keypoints")

# Validation metrics that can pick the best checkpoint, and whether larger is better.
MONITORS = {
    "accuracy": True, "macro_f1": True, "va_ccc": True, "va_rmse": False, "keypoint_rmse": False,
}  # fmt: skip
MONITOR_FOR_TASK = {"emotion": "accuracy", "both": "accuracy", "va": "va_ccc", "keypoints": "keypoint_rmse"}

# How FER+ vote distributions become targets (Barsoum et al., ICMI 2016). majority: one-hot of the
# most-voted emotion (their MV); distribution: the vote distribution as a soft target (their CEL,
# cross-entropy loss); probability: each epoch, a class drawn from each face's vote distribution
# (their PLD, probabilistic label drawing); auto: distribution when the data has votes, else majority.
LABEL_MODES = ("auto", "majority", "distribution", "probability")
SCHEDULES = ("cosine", "step")  # after the linear warm-up: cosine decay to 0, or x gamma every step_size epochs


@dataclass
class TrainConfig:
    arch: str = "vgg_fer"
    data: str = ""
    train_split: str | None = None  # sub-folder / Usage to train on, e.g. "FER2013Train" or "train"
    val_data: str | None = None  # defaults to `data`
    val_split: str | None = None  # e.g. "FER2013Valid"; None = hold out val_fraction of the training data
    val_fraction: float = 0.1
    out_dir: str = "runs/train"
    input_size: int = 48
    channels: int = 1
    task: str = "emotion"  # emotion | va | both | keypoints (see TASKS below)
    label_mode: str = "auto"  # auto | majority | distribution | probability (see LABEL_MODES)
    epochs: int = 30
    batch_size: int = 64
    optimizer: str = "adamw"  # adam | adamw | sgd
    lr: float = 1e-3
    weight_decay: float = 1e-4
    momentum: float = 0.9
    warmup_epochs: float = 1.0
    schedule: str = "cosine"  # cosine | step (see SCHEDULES); stepped per batch after the warm-up
    step_size: int = 10  # step schedule: multiply the LR by gamma every step_size epochs ...
    gamma: float = 0.1
    milestones: str | None = None  # ... or after each of these comma-separated epoch counts, e.g. "10,20"
    imbalance: str = "none"  # none | loss (class-weighted loss) | sampler (class-balanced sampling)
    imbalance_power: float = 0.5  # weights = (1 / frequency) ** power; 1 = full inverse frequency
    label_smoothing: float = 0.0
    va_head: bool = True
    va_loss_weight: float = 0.2  # V/A targets are derived from labels via the circumplex unless annotated
    augment: bool = True  # False = preset "none"; True = augment_preset, or "standard" when that is unset
    augment_preset: str | None = None  # none | light | standard | strong (ml/data/presets.py)
    dropout: float = 0.0
    seed: int = 0
    patience: int = 10  # early stopping: epochs without improvement of `monitor`
    monitor: str = "auto"  # auto (per task, see MONITOR_FOR_TASK) or a key of MONITORS
    freeze_backbone_epochs: int = 0  # train only the heads for this many epochs, then fine-tune everything
    device: str = "auto"  # auto (CUDA when present) | cpu | cuda | cuda:N; torchrun picks cuda:LOCAL_RANK
    amp: bool = True  # autocast: CUDA bf16 (else fp16 + GradScaler); CPU bf16 where native, else float32
    channels_last: bool = True  # model and inputs in channels_last memory format (conv models)
    ema_decay: float = 0.0  # > 0: validate and save an exponential moving average of the weights (0.999)
    mix: str = "none"  # none | mixup | cutmix (see MIX_MODES): blend each batch with a shuffled copy
    mix_alpha: float = 1.0  # lam ~ Beta(mix_alpha, mix_alpha)
    resume: bool = False
    pretrained_path: str | None = None
    num_threads: int | None = None
    log_every: int = 50  # steps between progress callbacks
    max_steps_per_epoch: int | None = None  # for smoke tests

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def validate(self) -> None:
        choices = {
            "label_mode": LABEL_MODES,
            "schedule": SCHEDULES,
            "optimizer": ("adam", "adamw", "sgd"),
            "imbalance": ("none", "loss", "sampler"),
            "task": TASKS,
            "monitor": ("auto", *MONITORS),
            "mix": MIX_MODES,
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if not self.data:
            raise ValueError("no training data path given")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be >= 1")
        if self.mix != "none" and (self.mix_alpha <= 0 or self.task == "keypoints"):
            raise ValueError(f"mix={self.mix} needs mix_alpha > 0 and a task other than keypoints")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in [0, 1) (0 = off), got {self.ema_decay}")
        if self.freeze_backbone_epochs < 0:
            raise ValueError("freeze_backbone_epochs must be >= 0")
        if self.monitor_metric() not in self.measured_metrics():
            raise ValueError(f"monitor {self.monitor_metric()!r} is not measured for task {self.task!r}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), got {self.channels}")
        self._validate_schedule()
        self._validate_augmentation()

    def _validate_schedule(self) -> None:
        if self.step_size < 1:
            raise ValueError(f"step_size must be >= 1 epoch, got {self.step_size}")
        if not 0 < self.gamma <= 1:
            raise ValueError(f"gamma must be in (0, 1], got {self.gamma}")
        self.milestone_epochs()  # raises on a malformed list

    def _validate_augmentation(self) -> None:
        if self.augment_preset is not None and self.augment_preset not in PRESETS:
            raise ValueError(f"augment_preset must be one of {tuple(PRESETS)}, got {self.augment_preset!r}")
        if not self.augment and self.augment_preset not in (None, "none"):
            raise ValueError(f"augment=False contradicts augment_preset={self.augment_preset!r}")

    def augmentation_preset(self) -> str:
        """The preset name this config trains with: augment_preset, else what the old `augment` flag meant."""
        if not self.augment:
            return "none"
        return self.augment_preset or DEFAULT_PRESET

    def milestone_epochs(self) -> tuple[int, ...]:
        """The step schedule's decay epochs from `milestones` ("10,20" -> (10, 20)); () when unset."""
        if not self.milestones:
            return ()
        try:
            epochs = tuple(int(part) for part in self.milestones.split(","))
        except ValueError:
            raise ValueError(f"milestones must be comma-separated epochs, got {self.milestones!r}") from None
        if any(e < 1 for e in epochs) or list(epochs) != sorted(set(epochs)):
            raise ValueError(f"milestones must be increasing epochs >= 1, got {self.milestones!r}")
        return epochs

    def monitor_metric(self) -> str:
        """The validation metric that picks the best checkpoint."""
        return MONITOR_FOR_TASK[self.task] if self.monitor == "auto" else self.monitor

    def measured_metrics(self) -> tuple[str, ...]:
        """The monitorable metrics that validation reports for this task."""
        if self.task == "keypoints":
            return ("keypoint_rmse",)
        va = ("va_ccc", "va_rmse") if self.uses_va_head() else ()
        return va if self.task == "va" else ("accuracy", "macro_f1", *va)

    def uses_va_head(self) -> bool:
        return self.task in ("va", "both") or (self.task == "emotion" and self.va_head)
