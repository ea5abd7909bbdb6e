"""Self-describing checkpoints: everything needed to rebuild, preprocess for, and judge a model.

A file holds plain Python types and tensors only, so `torch.load(weights_only=True)` reads it:
architecture, label set, input size, channels, mean/std, training config, metrics, a fingerprint
of the training data, and the weights. Training checkpoints also carry `training_state`
(optimizer, scheduler, epoch, history) for resuming; bundled models leave it out to stay small.
A file may also carry `int8`: the int8 trunk's tensors (ml/models/quantize.py) and how it was
calibrated and checked, written by `python -m ml quantize`.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ml.data.transforms import preprocess
from ml.models import EmotionNet, create_model
from ml.models.inference import for_inference
from ml.models.quantize import quantized_model
from ml.taxonomy import LabelSet

FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    arch: str
    label_set: LabelSet
    input_size: int
    in_chans: int
    mean: list[float]
    std: list[float]
    state_dict: dict[str, torch.Tensor]
    va_head: bool = True
    config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    data_fingerprint: str = ""
    epoch: int = 0
    created_at: str = ""
    training_state: dict[str, Any] | None = None
    num_keypoints: int = 0  # > 0 for keypoint regressors (task "keypoints"); absent in older files = 0
    int8: dict[str, Any] | None = None  # quantize_state(...) plus "check" figures; None = float only

    @property
    def task(self) -> str:
        """What the model was trained for: emotion | va | both | keypoints (older files: emotion)."""
        return self.config.get("task", "emotion")

    @property
    def va_learned(self) -> bool:
        """Whether the V/A head learned from annotated valence/arousal, not from circumplex targets.

        ml.training records "va_labels": "annotated" | "derived" in the metrics (older files: in the
        config). Absent means derived: FER-2013 and FER+ have no V/A annotations.
        """
        sources = (self.config, self.metrics)
        return self.va_head and any(isinstance(s, dict) and s.get("va_labels") == "annotated" for s in sources)

    @property
    def va_learned_on(self) -> str | None:
        """What the annotated V/A was, when the file says (`ml graft-va --learned-on`), e.g. synthetic faces."""
        return (self.metrics or {}).get("va_learned_on") if self.va_learned else None

    def build_model(self) -> EmotionNet:
        """The network with these weights, in eval mode."""
        model = create_model(
            self.arch,
            num_classes=self.label_set.num_classes,
            in_chans=self.in_chans,
            input_size=self.input_size,
            va_head=self.va_head,
            num_keypoints=self.num_keypoints,
        )
        model.load_state_dict(self.state_dict)
        return model.eval()

    def inference_model(self, int8: bool = False) -> EmotionNet:
        """The network for predictions only: eval mode, BatchNorm folded, channels-last (ml/models/inference.py).

        Same outputs as `build_model()` up to float rounding, faster on CPU; train and explain
        (saliency) with `build_model()`. `int8=True` runs the stored int8 trunk instead (faster
        again; its agreement with the float network is in `int8["check"]`).
        """
        if not int8:
            return for_inference(self.build_model())
        if self.int8 is None:
            raise ValueError(f"{self.arch} checkpoint has no int8 weights: make them with `python -m ml quantize`")
        return quantized_model(self.build_model(), self.int8)

    def preprocess(self, images: np.ndarray) -> torch.Tensor:
        """uint8 crops already at input_size ((N,H,W) or (N,H,W,C)) -> normalised model input."""
        return preprocess(images, self.mean, self.std)

    def describe(self) -> dict[str, Any]:
        """Everything except tensors, for JSON and the model-version table."""
        skip = ("state_dict", "training_state", "label_set", "int8")
        info = {k: v for k, v in asdict(self).items() if k not in skip}
        info["label_set"] = self.label_set.to_dict()
        if self.int8 is not None:
            info["int8"] = {k: v for k, v in self.int8.items() if k != "state_dict"}
        return info


def save_checkpoint(path: str | Path, ckpt: Checkpoint, include_training_state: bool = True) -> Path:
    """Write atomically (temp file + rename) so a crash never leaves a half-written checkpoint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format_version": FORMAT_VERSION,
        **ckpt.describe(),
        "created_at": ckpt.created_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "state_dict": {k: v.detach().cpu() for k, v in ckpt.state_dict.items()},
    }
    if include_training_state and ckpt.training_state is not None:
        payload["training_state"] = ckpt.training_state
    if ckpt.int8 is not None:
        payload["int8"] = ckpt.int8  # describe() left its tensors out
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> Checkpoint:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    payload = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(payload, dict) or "arch" not in payload or "state_dict" not in payload:
        raise ValueError(f"{path} is not an ml checkpoint (no arch/state_dict)")
    version = payload.get("format_version", 0)
    if version > FORMAT_VERSION:
        raise ValueError(f"{path} has checkpoint format {version}; this code reads up to {FORMAT_VERSION}")
    return Checkpoint(
        arch=payload["arch"],
        label_set=LabelSet.from_dict(payload["label_set"]),
        input_size=int(payload["input_size"]),
        in_chans=int(payload["in_chans"]),
        mean=list(payload["mean"]),
        std=list(payload["std"]),
        state_dict=payload["state_dict"],
        va_head=bool(payload.get("va_head", True)),
        config=payload.get("config", {}),
        metrics=payload.get("metrics", {}),
        data_fingerprint=payload.get("data_fingerprint", ""),
        epoch=int(payload.get("epoch", 0)),
        created_at=payload.get("created_at", ""),
        training_state=payload.get("training_state"),
        num_keypoints=int(payload.get("num_keypoints", 0)),
        int8=payload.get("int8"),
    )
