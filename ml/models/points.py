"""Point coordinates as the networks see them.

Datasets hold landmarks and keypoints in crop pixel coordinates (x, y), pixel i's centre at i.
Networks take and predict normalised coordinates in [-1, 1] across the crop, the convention of
`F.affine_grid(align_corners=False)`, so the same model works at any input size and augmentation
can move points with the same affine matrix that warps the pixels.
"""

from __future__ import annotations

import numpy as np
import torch

# Mirror permutations: after a horizontal flip, point i takes the place of point FLIP[i].
# iBUG-68 (dlib / face-alignment order): jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67.
_IBUG68_PAIRS = (
    [(i, 16 - i) for i in range(8)]
    + [(17 + i, 26 - i) for i in range(5)]
    + [(31, 35), (32, 34), (36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]
    + [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58), (60, 64), (61, 63), (65, 67)]
)
# Kaggle facial keypoints (15): eye centres 0/1, left eye inner/outer 2/3, right eye inner/outer 4/5,
# left brow inner/outer 6/7, right brow inner/outer 8/9, nose 10, mouth left/right 11/12, lips 13/14.
_KAGGLE15_PAIRS = [(0, 1), (2, 4), (3, 5), (6, 8), (7, 9), (11, 12)]


def _permutation(count: int, pairs: list[tuple[int, int]]) -> tuple[int, ...]:
    perm = list(range(count))
    for a, b in pairs:
        perm[a], perm[b] = b, a
    return tuple(perm)


FLIP_PERMUTATIONS = {68: _permutation(68, _IBUG68_PAIRS), 15: _permutation(15, _KAGGLE15_PAIRS)}


def to_normalized(points: np.ndarray | torch.Tensor, size: int):
    """Pixel coordinates in a size x size crop -> [-1, 1] (NaN stays NaN)."""
    return (2 * points + 1) / size - 1


def to_pixels(points: np.ndarray | torch.Tensor, size: int):
    """Inverse of to_normalized."""
    return ((points + 1) * size - 1) / 2
