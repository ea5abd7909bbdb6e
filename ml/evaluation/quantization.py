"""Make a checkpoint's int8 trunk and measure what it costs in accuracy before anyone uses it.

`quantize_checkpoint` calibrates on crops of the training split (never the split it is checked on),
then runs the float and the int8 network on a labelled split and records, in `int8["check"]`, both
accuracies, how often they agree, and the largest change of a class probability.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ml.checkpoint import Checkpoint
from ml.data import FaceSet
from ml.evaluation.evaluate import labels_in_model_space, predict
from ml.models.quantize import quantize_state


def quantize_checkpoint(
    ckpt: Checkpoint,
    calibration: FaceSet,
    check: FaceSet,
    calibration_items: int = 1024,
    seed: int = 0,
    check_name: str = "",
) -> Checkpoint:
    """A copy of `ckpt` carrying int8 weights calibrated on a seeded sample of `calibration`."""
    if calibration_items < 1:
        raise ValueError("calibration_items must be at least 1")
    keep, labels = labels_in_model_space(check, ckpt)
    if len(keep) == 0:
        raise ValueError(f"the check data has no item of the model's classes {list(ckpt.label_set.classes)}")
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(calibration), size=min(calibration_items, len(calibration)), replace=False)
    state = quantize_state(ckpt.build_model(), ckpt.preprocess(calibration.images[np.sort(chosen)]))
    quantized = dataclasses.replace(ckpt, int8=state)
    images = check.images[keep]
    float_probs, int8_probs = predict(ckpt, images), predict(quantized, images, int8=True)
    state["check"] = {
        "data": check_name or check.source,
        "items": int(len(labels)),
        "float_accuracy": round(float((float_probs.argmax(1) == labels).mean()), 4),
        "int8_accuracy": round(float((int8_probs.argmax(1) == labels).mean()), 4),
        "agreement": round(float((float_probs.argmax(1) == int8_probs.argmax(1)).mean()), 4),
        "max_probability_change": round(float(np.abs(float_probs - int8_probs).max()), 4),
    }
    return quantized
