"""Where the model looked: Grad-CAM, Grad-CAM++ and input-gradient heatmaps for one class, in [0, 1].

    heat = saliency_map(model, batch_of_one, class_index, "gradcam++")   # (H, W) float32
    is_degenerate(heat)                                                  # True: flat, nothing to show

Why the maps used to be blank: Grad-CAM read the last nn.Conv2d's own output, before batch norm
and ReLU. There a channel's activations are signed, so the gradient-weighted sum is often negative
at every one of the 3x3 (vgg_fer_fast) or 6x6 (vgg_fer) positions, and the final ReLU left zeros.
The maps are now taken where the network itself keeps only positive evidence: the output of the
deepest block (after its ReLU) that still has at least 6x6 positions (`cam_target`), found per
architecture by one probe pass, so a 3x3 map upsampled to a blob is avoided where a finer one
exists. Grad-CAM++ (Chattopadhay et al. 2018) weights each activation by the positive part of
its gradient, so on non-negative activations its map is never negative; it is the default.
Grad-CAM (Selvaraju et al. 2017) keeps its classic signed weights. Input gradients (Simonyan et al.
2014): sharp but noisy. A map that is still flat is reported (`is_degenerate`), never shown blank.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

METHODS = ("gradcam", "gradcam++", "gradients")
# The finest map worth showing sits at the deepest layer with at least this many positions a side.
MIN_CAM_SIDE = 6


@dataclass(frozen=True)
class CamTarget:
    """A module whose `call`-th output (0-based, within one forward pass) the CAM reads."""

    name: str
    module: nn.Module
    call: int
    shape: tuple[int, ...]


def _forward(model: nn.Module, batch: torch.Tensor, landmarks: torch.Tensor | None):
    """The model's output; landmark models (CNN-1DNN/3DNN) also get the face's landmarks when known."""
    return model(batch) if landmarks is None else model(batch, landmarks)


def cam_target(model: nn.Module, batch: torch.Tensor, landmarks: torch.Tensor | None = None) -> CamTarget:
    """The deepest leaf-module output that is a feature map of >= MIN_CAM_SIDE positions a side
    (else the deepest with >= 2), probed once per architecture and input shape and cached."""
    key = tuple(batch.shape[1:])
    cached = getattr(model, "_cam_targets", {})
    if key in cached:
        return cached[key]
    calls: list[tuple[str, nn.Module, int, tuple[int, ...]]] = []
    counts: dict[int, int] = {}

    def record(name):
        def hook(module, _inputs, output):
            call = counts.get(id(module), 0)
            counts[id(module)] = call + 1
            if isinstance(output, torch.Tensor) and output.ndim == 4:
                calls.append((name, module, call, tuple(output.shape)))

        return hook

    handles = [m.register_forward_hook(record(n)) for n, m in model.named_modules() if not list(m.children())]
    try:
        with torch.no_grad():
            _forward(model, batch, landmarks)
    finally:
        for handle in handles:
            handle.remove()
    for side in (MIN_CAM_SIDE, 2):
        maps = [c for c in calls if min(c[3][2:]) >= side]
        if maps:
            target = CamTarget(*maps[-1])
            break
    else:
        raise ValueError(f"{type(model).__name__} has no feature map of 2x2 or more for a class activation map")
    cached[key] = target
    model._cam_targets = cached  # type: ignore[attr-defined]
    return target


def _class_logit(
    model: nn.Module, batch: torch.Tensor, class_index: int, landmarks: torch.Tensor | None = None
) -> torch.Tensor:
    out = _forward(model, batch, landmarks)
    logits = out.logits if hasattr(out, "logits") else out
    return logits[0, class_index]


def _activations_and_grads(
    model: nn.Module, batch: torch.Tensor, class_index: int, target: CamTarget, landmarks: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    captured: list[torch.Tensor] = []
    calls = [0]

    def hook(_module, _inputs, output):
        if calls[0] == target.call:
            captured.append(output)
        calls[0] += 1

    handle = target.module.register_forward_hook(hook)
    try:
        with torch.enable_grad():
            logit = _class_logit(model, batch, class_index, landmarks)
            (grads,) = torch.autograd.grad(logit, captured[0])
    finally:
        handle.remove()
    return captured[0].detach(), grads.detach()


def grad_cam(
    model: nn.Module,
    batch: torch.Tensor,
    class_index: int,
    plus_plus: bool = False,
    landmarks: torch.Tensor | None = None,
) -> np.ndarray:
    """Grad-CAM (or Grad-CAM++) for `class_index` on a (1, C, H, W) input; (H, W) float32 in [0, 1]."""
    target = cam_target(model, batch, landmarks)
    activations, grads = _activations_and_grads(model, batch, class_index, target, landmarks)
    if plus_plus:
        # Grad-CAM++ with the exponential of the class score, whose higher derivatives are powers
        # of the first: alpha = g^2 / (2 g^2 + sum(A) g^3), weight = sum(alpha * relu(g)).
        g2, g3 = grads.pow(2), grads.pow(3)
        denominator = 2 * g2 + activations.sum(dim=(2, 3), keepdim=True) * g3
        alpha = g2 / torch.where(denominator != 0, denominator, torch.ones_like(denominator))
        weights = (alpha * F.relu(grads)).sum(dim=(2, 3), keepdim=True)
    else:
        weights = grads.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * activations).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=batch.shape[-2:], mode="bilinear", align_corners=False)
    return _unit_range(cam[0, 0])


def input_gradients(
    model: nn.Module, batch: torch.Tensor, class_index: int, landmarks: torch.Tensor | None = None
) -> np.ndarray:
    """|d logit / d pixel|, max over channels; (H, W) float32 in [0, 1]."""
    x = batch.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logit = _class_logit(model, x, class_index, landmarks)
        (grads,) = torch.autograd.grad(logit, x)
    return _unit_range(grads.abs().amax(dim=1)[0])


def saliency_map(
    model: nn.Module,
    batch: torch.Tensor,
    class_index: int,
    method: str = "gradcam++",
    landmarks: torch.Tensor | None = None,
) -> np.ndarray:
    """The map of `method` for `class_index`; `landmarks` (1, 68, 2) normalised, for landmark models only."""
    if method not in METHODS:
        raise ValueError(f"unknown saliency method {method!r}; choose one of {METHODS}")
    if batch.ndim != 4 or batch.shape[0] != 1:
        raise ValueError(f"expected one image shaped (1, C, H, W), got {tuple(batch.shape)}")
    was_training = model.training
    model.eval()
    try:
        if method == "gradients":
            return input_gradients(model, batch, class_index, landmarks)
        return grad_cam(model, batch, class_index, plus_plus=method == "gradcam++", landmarks=landmarks)
    finally:
        model.train(was_training)


def is_degenerate(heat: np.ndarray) -> bool:
    """True for a map with no structure to show: flat (all zeros after scaling) or nearly so."""
    heat = np.asarray(heat, np.float64)
    return bool(heat.size == 0 or heat.max() - heat.min() < 0.5 or heat.std() < 0.01)


def _unit_range(heat: torch.Tensor) -> np.ndarray:
    heat = heat.float()
    heat = heat - heat.min()
    peak = heat.max()
    if peak > 0:
        heat = heat / peak
    return heat.cpu().numpy().astype(np.float32)


def overlay(crop: np.ndarray, heat: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """RGB uint8 picture of the heatmap (JET colours) over the crop, for pages and the CLI."""
    import cv2

    base = crop if crop.ndim == 3 else cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB)
    colours = cv2.cvtColor(cv2.applyColorMap((heat * 255).astype(np.uint8), cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
    return cv2.addWeighted(base, 1.0 - alpha, colours, alpha, 0.0)
