"""Losses: soft-target cross-entropy (label distributions) and class weights for imbalance."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def soft_cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, class_weights: torch.Tensor | None = None, smoothing: float = 0.0
) -> torch.Tensor:
    """Cross-entropy against a target distribution: with FER+ vote distributions as targets this is
    Barsoum et al.'s CEL scheme (label_mode "distribution"); their PLD draws one-hot targets instead
    (label_mode "probability", ml/training/labels.py) and also lands here.

    With one-hot targets this equals ordinary cross-entropy. Class weights scale each class's term
    and the batch is normalised by the summed weights of its targets, like F.cross_entropy.
    """
    if smoothing > 0:
        targets = targets * (1 - smoothing) + smoothing / targets.shape[1]
    log_probs = F.log_softmax(logits, dim=1)
    if class_weights is None:
        return -(targets * log_probs).sum(dim=1).mean()
    weighted = targets * class_weights
    return -(weighted * log_probs).sum() / weighted.sum().clamp_min(1e-12)


def class_weights(labels: np.ndarray, num_classes: int, power: float = 1.0) -> np.ndarray:
    """(1 / frequency) ** power, scaled to mean 1 over present classes; absent classes get 0."""
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    weights = np.zeros(num_classes)
    present = counts > 0
    weights[present] = (counts[present].sum() / counts[present]) ** power
    weights[present] /= weights[present].mean()
    return weights.astype(np.float32)


def ccc_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - concordance correlation, averaged over columns (valence, arousal); differentiable."""
    pm, tm = pred.mean(dim=0), target.mean(dim=0)
    covariance = ((pred - pm) * (target - tm)).mean(dim=0)
    denom = pred.var(dim=0, unbiased=False) + target.var(dim=0, unbiased=False) + (pm - tm) ** 2
    return (1 - 2 * covariance / denom.clamp_min(1e-8)).mean()


def va_loss(pred: torch.Tensor, target: torch.Tensor, use_ccc: bool = True) -> torch.Tensor:
    """MSE (+ 1 - CCC) over the rows whose V/A is annotated (AffectNet marks some rows missing: NaN).

    MSE pulls each prediction to its target, CCC fixes batch-level scale and offset. A batch with
    no annotated row gives a zero loss that still backpropagates (same graph on every DDP rank).
    """
    present = ~torch.isnan(target).any(dim=1)
    if not present.any():
        return pred.sum() * 0.0
    pred, target = pred[present], target[present]
    loss = F.mse_loss(pred, target)
    return loss + ccc_loss(pred, target) if use_ccc else loss


def masked_keypoint_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MSE over annotated coordinates only: NaN targets (Kaggle rows miss most points) add nothing.

    pred and target are (N, K, 2). A batch with no annotated point gives a zero loss that still
    backpropagates (so every DDP rank calls backward on the same graph).
    """
    present = ~torch.isnan(target)
    if not present.any():
        return pred.sum() * 0.0
    return F.mse_loss(pred[present], target[present])
