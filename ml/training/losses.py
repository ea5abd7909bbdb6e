"""Losses: soft-target cross-entropy (label distributions) and class weights for imbalance."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def soft_cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, class_weights: torch.Tensor | None = None, smoothing: float = 0.0
) -> torch.Tensor:
    """Cross-entropy against a target distribution (Barsoum et al.'s "PLD" loss for FER+ votes).

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
