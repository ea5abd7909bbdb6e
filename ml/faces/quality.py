"""Is a face crop sharp enough to read an expression from? A cheap focus measure and its setting.

The measure is the variance of the Laplacian (Pech-Pacheco et al. 2000) of the aligned crop the
classifier sees, in grey levels squared. Measured on this crop, not on the photo: what matters is
whether the classifier gets edges at its own resolution, and a small face upscaled to the crop
blurs just like a smeared one. A crop under the pipeline's `min_sharpness` (FER_MIN_FACE_SHARPNESS,
default `ml.settings.DEFAULT_MIN_SHARPNESS`) is skipped and reported as
"too_blurred" instead of getting a confident-looking guess.
"""

from __future__ import annotations

import cv2
import numpy as np


def sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian of the crop (grey levels squared); higher is sharper."""
    gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(gray.astype(np.float32), cv2.CV_32F).var())

