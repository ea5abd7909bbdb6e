"""Where YuNet looks for faces in a photo: everywhere upscaled (`full`), or in two passes (`two_pass`).

YuNet finds nearly every face of 30 px and more, but only ~80% of 20 px faces at their own size,
so finding faces down to FER_MIN_FACE_PX = 20 means searching the photo upscaled 1.5x: 2.25 times
the pixels, and most of the time of a 640x480 photo. Most photos have no face that small, so the
two-pass search pays for the upscaled search only where a small face can be:

1. the photo at its own size, with a low score threshold: the confident detections are faces;
   the weak ones that are small (under `SMALL_SIDE` px) are *candidates*, places where a small face
   may be (of 200 HELEN faces shrunk to 20 px, 75% scored >= 0.6 there, 97.5% >= 0.02);
2. the upscaled search, on windows around the candidates only, or on the whole photo when the
   first pass hints that small faces may be anywhere: it found none at all, or it found faces
   small enough that others nearby (a crowd further back) may be smaller still.

Both passes' faces are merged by non-maximum suppression. A photo searched at its own size or
smaller anyway (a large photo, or FER_MIN_FACE_PX >= 30) takes one pass. The figures are in
docs/faces.md ("Two-pass search").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ml.settings import YUNET_SEARCHES

if TYPE_CHECKING:
    from ml.faces.detection import Detection

SEARCH_MODES = YUNET_SEARCHES
# Pass 1 keeps detections down to this score as candidates (YuNet's own cut-off is 0.6).
CANDIDATE_SCORE = 0.02
# A weak detection under this side (photo pixels, pass 1's) may be a small face scored low at that size.
SMALL_SIDE = 48
# A confident face under this side (photo pixels) hints at a crowd: search everything upscaled.
CROWD_SIDE = 36
# A window around a candidate spans this many candidate sides, so the whole face is inside it.
WINDOW_SIDES = 3.0
# ... and at least this many photo pixels: YuNet needs some context around a face to find it.
MIN_WINDOW = 64
# Windows covering more than this share of the photo: search the whole photo instead (fewer calls).
MAX_WINDOW_SHARE = 0.4
# Detections of the two passes overlapping more than this are the same face.
NMS_IOU = 0.3


@dataclass(frozen=True)
class Window:
    """A rectangle of photo pixels, [left, right) x [top, bottom)."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def area(self) -> int:
        return (self.right - self.left) * (self.bottom - self.top)

    def overlaps(self, other: Window) -> bool:
        apart_x = self.right <= other.left or other.right <= self.left
        return not apart_x and not (self.bottom <= other.top or other.bottom <= self.top)

    def union(self, other: Window) -> Window:
        return Window(
            min(self.left, other.left),
            min(self.top, other.top),
            max(self.right, other.right),
            max(self.bottom, other.bottom),
        )


# search(image, scale, window, threshold): detections in photo pixels of the part `window` (None:
# the whole photo) searched at `scale`, with scores down to `threshold` (None: the detector's own).
Search = Callable[[np.ndarray, float, "Window | None", "float | None"], "list[Detection]"]


def two_pass(image: np.ndarray, search: Search, scale: float, threshold: float) -> list[Detection]:
    """Faces of `image` as `search` at `scale` would find them, searching upscaled only where needed.

    `threshold` is the detector's own score cut-off: weaker pass-1 detections are only candidates."""
    if scale <= 1.0:
        return search(image, scale, None, None)  # nothing to upscale: one pass is the full search
    first = search(image, 1.0, None, CANDIDATE_SCORE)
    faces = [d for d in first if d.score >= threshold]
    candidates = [d for d in first if d.score < threshold and max(d.box[2:]) < SMALL_SIDE]
    height, width = image.shape[:2]
    if not faces or any(max(d.box[2:]) < CROWD_SIDE for d in faces):
        return merge(faces + search(image, scale, None, None))
    windows = candidate_windows(candidates, height, width)
    if sum(w.area for w in windows) > MAX_WINDOW_SHARE * height * width:
        return merge(faces + search(image, scale, None, None))
    second = [d for window in windows for d in inside(search(image, scale, window, None), window, height, width)]
    return merge(faces + second)


def candidate_windows(candidates: Sequence[Detection], height: int, width: int) -> list[Window]:
    """Windows `WINDOW_SIDES` candidate sides wide around each candidate, clipped, overlapping ones merged."""
    windows = []
    for det in candidates:
        x, y, w, h = det.box
        half = max(WINDOW_SIDES * max(w, h), MIN_WINDOW) / 2
        cx, cy = x + w / 2, y + h / 2
        windows.append(
            Window(
                max(0, math.floor(cx - half)),
                max(0, math.floor(cy - half)),
                min(width, math.ceil(cx + half)),
                min(height, math.ceil(cy + half)),
            )
        )
    return merge_windows(windows)


def merge_windows(windows: Sequence[Window]) -> list[Window]:
    """Overlapping windows replaced by their bounding rectangle, until none overlap."""
    merged = list(windows)
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                if merged[i].overlaps(merged[j]):
                    merged[i] = merged[i].union(merged.pop(j))
                    changed = True
                    break
            if changed:
                break
    return merged


def inside(detections: Sequence[Detection], window: Window, height: int, width: int) -> list[Detection]:
    """The detections not cut by an edge of `window` that is not an edge of the photo.

    A face cut by the window's edge is searched whole elsewhere (pass 1, or another window); its
    cut part would be a second, wrong box."""
    kept = []
    for det in detections:
        x, y, w, h = det.box
        cut = (
            (window.left > 0 and x <= window.left)
            or (window.top > 0 and y <= window.top)
            or (window.right < width and x + w >= window.right)
            or (window.bottom < height and y + h >= window.bottom)
        )
        if not cut:
            kept.append(det)
    return kept


def merge(detections: Sequence[Detection], iou: float = NMS_IOU) -> list[Detection]:
    """One detection per face, the best scored, best first (non-maximum suppression)."""
    if not detections:
        return []
    boxes = [list(d.box) for d in detections]
    scores = [d.score for d in detections]
    keep = cv2.dnn.NMSBoxes(boxes, scores, 0.0, iou)
    return sorted((detections[int(i)] for i in np.ravel(keep)), key=lambda d: d.score, reverse=True)
