"""Load pretrained weights from a local file into an EmotionNet (never from the network)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

log = logging.getLogger(__name__)


def load_pretrained(
    model: nn.Module, path: str | Path, class_names: Sequence[str] | None = None
) -> tuple[list[str], list[str]]:
    """Copy matching tensors from a state dict / checkpoint file; returns (missing, skipped) keys.

    Accepts our checkpoints ({"state_dict": ...}), plain state dicts of the whole EmotionNet, or a
    torchvision classifier's state dict (keys without the "backbone.net." prefix). A first-conv
    weight with 3 input channels is summed to 1 channel (or repeated) to fit `in_chans`.
    When one of our checkpoints has another label set and `class_names` names the model's classes,
    the emotion head's rows of the classes both share are carried over by name (FER+'s 8 -> FER-2013's
    7 keeps all but contempt); other classifier layers whose shapes differ are skipped.
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"pretrained weights file not found: {file}")
    state = torch.load(file, map_location="cpu", weights_only=True)
    source_classes = None
    if isinstance(state, dict) and "state_dict" in state:
        source_classes = (state.get("label_set") or {}).get("classes")
        state = state["state_dict"]
    own = model.state_dict()
    if source_classes and class_names:
        state = {**state, **_head_rows_by_class(state, own, list(source_classes), list(class_names))}
    if not any(k in own for k in state):  # a bare torchvision state dict: find where it fits
        state = max((_remap(state, how) for how in _LAYOUTS), key=lambda s: sum(k in own for k in s))
    loaded, skipped = {}, []
    for key, value in state.items():
        if key not in own:
            skipped.append(key)
            continue
        target = own[key]
        if value.shape != target.shape and value.ndim == 4 and value.shape[0] == target.shape[0]:
            value = _adapt_conv_channels(value, target.shape[1])
        if value.shape == target.shape:
            loaded[key] = value
        else:
            skipped.append(key)
    if not loaded:
        raise ValueError(f"{file}: no tensor matches the model's parameters; is it for this architecture?")
    model.load_state_dict(loaded, strict=False)
    missing = [k for k in own if k not in loaded]
    log.info("loaded %d tensors from %s; %d missing, %d skipped", len(loaded), file, len(missing), len(skipped))
    return missing, skipped


# How torchvision keys sit inside an EmotionNet: classifiers wrapped whole (ResNet, DenseNet,
# EfficientNet, ...), only their `features` stack (VGG, SqueezeNet), or the `features` stack as the
# backbone's own (CNN-1DNN / CNN-3DNN from a VGG-16-BN file).
_LAYOUTS = (("", "backbone.features.net."), ("features.", "backbone.features.0."), ("features.", "backbone.features."))


def _head_rows_by_class(
    state: dict, own: dict, source_classes: list[str], target_classes: list[str]
) -> dict[str, torch.Tensor]:
    """The emotion head's weight and bias rebuilt in the target class order: shared classes keep their
    trained rows, the others the model's fresh initialisation. Empty when nothing needs (or can) change."""
    shared = [(row, source_classes.index(name)) for row, name in enumerate(target_classes) if name in source_classes]
    rebuilt = {}
    for key in ("head.weight", "head.bias"):
        source, target = state.get(key), own.get(key)
        if source is None or target is None or source.shape == target.shape or not shared:
            continue
        if source.shape[0] != len(source_classes) or source.shape[1:] != target.shape[1:]:
            continue
        rows = target.clone()
        for row, source_row in shared:
            rows[row] = source[source_row]
        rebuilt[key] = rows
    if rebuilt:
        log.info("emotion head: %d of %d classes carried over by name", len(shared), len(target_classes))
    return rebuilt


def _remap(state: dict, how: tuple[str, str]) -> dict:
    strip, prefix = how
    return {prefix + k[len(strip) :]: v for k, v in state.items() if k.startswith(strip)}


def _adapt_conv_channels(weight: torch.Tensor, in_chans: int) -> torch.Tensor:
    """timm's rule: RGB -> gray sums the channels; otherwise repeat and rescale."""
    if in_chans == 1:
        return weight.sum(dim=1, keepdim=True)
    repeats = -(-in_chans // weight.shape[1])
    return weight.repeat(1, repeats, 1, 1)[:, :in_chans] * (weight.shape[1] / in_chans)
