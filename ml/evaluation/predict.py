"""Running a network over face crops: every head's output as plain arrays (`Predictions`).

Used by training (validation each epoch) and by evaluation alike; it lives here so that
`ml.evaluation` needs nothing from `ml.training`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ml.data import FaceSet
from ml.data.transforms import normalize, to_tensor
from ml.models import EmotionNet
from ml.models.landmark_nets import NUM_LANDMARKS
from ml.models.points import to_normalized, to_pixels


@dataclass
class Predictions:
    probs: np.ndarray  # (N, C) softmax
    va: np.ndarray | None  # (N, 2)
    keypoints: np.ndarray | None  # (N, K, 2) in pixels of the crop


@torch.no_grad()
def predict_outputs(
    model: EmotionNet,
    images: np.ndarray,
    mean: list[float],
    std: list[float],
    landmarks: np.ndarray | None = None,
    batch_size: int = 256,
) -> Predictions:
    """Every head's output in eval mode, on the model's device. `landmarks` (N, 68, 2) crop pixels."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    size = images.shape[1]
    probs, vas, points = [], [], []
    for start in range(0, len(images), batch_size):
        x = normalize(to_tensor(images[start : start + batch_size]), mean, std).to(device)
        if model.uses_landmarks and landmarks is not None:
            marks = torch.from_numpy(to_normalized(landmarks[start : start + batch_size], size)).to(device)
            out = model(x, marks)
        else:
            out = model(x)
        probs.append(torch.softmax(out.logits, dim=1).cpu().numpy())
        if out.va is not None:
            vas.append(out.va.cpu().numpy())
        if out.keypoints is not None:
            points.append(to_pixels(out.keypoints.cpu().numpy(), size))
    model.train(was_training)
    return Predictions(
        np.concatenate(probs), np.concatenate(vas) if vas else None, np.concatenate(points) if points else None
    )


def predict_probs(
    model: EmotionNet, images: np.ndarray, mean: list[float], std: list[float], batch_size: int = 256
) -> tuple[np.ndarray, np.ndarray | None]:
    """Softmax probabilities (N, C) and V/A (N, 2) or None, in eval mode."""
    predictions = predict_outputs(model, images, mean, std, batch_size=batch_size)
    return predictions.probs, predictions.va


def has_annotated_va(faces: FaceSet) -> bool:
    """Whether some item has annotated V/A (readers put NaN where a row has none)."""
    return faces.valence_arousal is not None and bool((~np.isnan(faces.valence_arousal).any(axis=1)).any())


def has_va_targets(faces: FaceSet) -> bool:
    """Whether some item has V/A to measure: annotated, or derivable from emotion labels."""
    return has_annotated_va(faces) if faces.valence_arousal is not None else bool((faces.labels >= 0).all())


def landmarks_of(faces: FaceSet) -> np.ndarray | None:
    """The 68 landmarks a landmark model reads (AffectNet keeps them in `keypoints`), or None."""
    if faces.keypoints is not None and faces.keypoints.shape[1] == NUM_LANDMARKS:
        return faces.keypoints
    return None
