"""Measuring detectors and landmarks against annotated photos (300-W `.pts` files such as HELEN's).

A detection counts as finding an annotated face when it overlaps the box of the face's 68 points
with IoU > 0.3 (a detector's box and the points' box differ in convention, not in place).
Landmark error is the mean point-to-point distance divided by the distance between the outer eye
corners (points 37 and 46, 1-based): the 300-W "inter-ocular" normalisation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

Box = tuple[float, float, float, float]
OUTER_EYE_CORNERS = (36, 45)  # 0-based


def read_pts(path: str | Path) -> np.ndarray:
    """(N, 2) float32 points of a 300-W `.pts` file (`version: 1`, `n_points: N`, `{`, N lines `x y`, `}`)."""
    text = Path(path).read_text()
    try:
        header, body = text.split("{", 1)
        body = body.split("}", 1)[0]
        count = int(header.split("n_points:")[1].split()[0])
        points = np.array(body.split(), dtype=np.float32).reshape(-1, 2)
    except (IndexError, ValueError) as exc:
        raise ValueError(f"{path} is not a 300-W .pts file: {exc}") from None
    if len(points) != count:
        raise ValueError(f"{path} declares {count} points but lists {len(points)}")
    return points


def points_box(points: np.ndarray) -> Box:
    """(x, y, w, h) bounding box of the points."""
    low, high = np.min(points, axis=0), np.max(points, axis=0)
    return float(low[0]), float(low[1]), float(high[0] - low[0]), float(high[1] - low[1])


def iou(a: Box, b: Box) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def landmark_error(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Mean point distance over the outer-eye-corner distance (0.08 = 8% of that distance)."""
    truth = np.asarray(truth, np.float64)
    scale = float(np.linalg.norm(truth[OUTER_EYE_CORNERS[0]] - truth[OUTER_EYE_CORNERS[1]]))
    return float(np.linalg.norm(np.asarray(predicted, np.float64) - truth, axis=1).mean() / scale)


def match(boxes: list[Box], truth: Box, min_iou: float = 0.3) -> int | None:
    """Index of the box that best overlaps `truth` above `min_iou`, or None."""
    overlaps = [iou(box, truth) for box in boxes]
    if not overlaps or max(overlaps) <= min_iou:
        return None
    return int(np.argmax(overlaps))
