"""Training configuration: one flat dataclass, saved inside every checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


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
    label_mode: str = "auto"  # auto | majority | distribution (FER+ vote distributions as soft targets)
    epochs: int = 30
    batch_size: int = 64
    optimizer: str = "adamw"  # adam | adamw | sgd
    lr: float = 1e-3
    weight_decay: float = 1e-4
    momentum: float = 0.9
    warmup_epochs: float = 1.0
    imbalance: str = "none"  # none | loss (class-weighted loss) | sampler (class-balanced sampling)
    imbalance_power: float = 0.5  # weights = (1 / frequency) ** power; 1 = full inverse frequency
    label_smoothing: float = 0.0
    va_head: bool = True
    va_loss_weight: float = 0.2  # V/A targets are derived from labels via the circumplex unless annotated
    augment: bool = True
    dropout: float = 0.0
    seed: int = 0
    patience: int = 10  # early stopping: epochs without improvement of `monitor`
    monitor: str = "accuracy"  # accuracy | macro_f1
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
            "label_mode": ("auto", "majority", "distribution"),
            "optimizer": ("adam", "adamw", "sgd"),
            "imbalance": ("none", "loss", "sampler"),
            "monitor": ("accuracy", "macro_f1"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if not self.data:
            raise ValueError("no training data path given")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be >= 1")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), got {self.channels}")
