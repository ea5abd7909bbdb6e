"""Where the model looked: Grad-CAM and input-gradient heatmaps for one class, in [0, 1] at crop size.

    heat = saliency_map(model, batch_of_one, class_index, "gradcam")   # (H, W) float32

Grad-CAM (Selvaraju et al. 2017) weights the last convolution's feature maps by the mean gradient
of the class logit and keeps the positive part: coarse but class-specific. Input gradients
(Simonyan et al. 2014) are the absolute gradient of the logit with respect to the pixels: sharp
but noisy. Both work for every registered architecture because the models are plain nn.Modules.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

METHODS = ("gradcam", "gradients")


def last_conv_layer(model: nn.Module) -> nn.Conv2d:
    """The last nn.Conv2d in registration order (the deepest for sequential backbones)."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(f"{type(model).__name__} has no Conv2d layer for Grad-CAM")
    return convs[-1]


def _class_logit(model: nn.Module, batch: torch.Tensor, class_index: int) -> torch.Tensor:
    out = model(batch)
    logits = out.logits if hasattr(out, "logits") else out
    return logits[0, class_index]


def grad_cam(model: nn.Module, batch: torch.Tensor, class_index: int, layer: nn.Module | None = None) -> np.ndarray:
    """Grad-CAM for `class_index` on a (1, C, H, W) input; (H, W) float32 in [0, 1]."""
    layer = layer or last_conv_layer(model)
    captured: list[torch.Tensor] = []
    handle = layer.register_forward_hook(lambda _m, _i, output: captured.append(output))
    try:
        with torch.enable_grad():
            logit = _class_logit(model, batch, class_index)
            (grads,) = torch.autograd.grad(logit, captured[-1])
    finally:
        handle.remove()
    activations = captured[-1].detach()
    weights = grads.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * activations).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=batch.shape[-2:], mode="bilinear", align_corners=False)
    return _unit_range(cam[0, 0])


def input_gradients(model: nn.Module, batch: torch.Tensor, class_index: int) -> np.ndarray:
    """|d logit / d pixel|, max over channels; (H, W) float32 in [0, 1]."""
    x = batch.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        logit = _class_logit(model, x, class_index)
        (grads,) = torch.autograd.grad(logit, x)
    return _unit_range(grads.abs().amax(dim=1)[0])


def saliency_map(model: nn.Module, batch: torch.Tensor, class_index: int, method: str = "gradcam") -> np.ndarray:
    if batch.ndim != 4 or batch.shape[0] != 1:
        raise ValueError(f"expected one image shaped (1, C, H, W), got {tuple(batch.shape)}")
    was_training = model.training
    model.eval()
    try:
        if method == "gradcam":
            return grad_cam(model, batch, class_index)
        if method == "gradients":
            return input_gradients(model, batch, class_index)
    finally:
        model.train(was_training)
    raise ValueError(f"unknown saliency method {method!r}; choose one of {METHODS}")


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
