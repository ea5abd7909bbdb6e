"""The committed test photos and where a person sees the faces in them (x, y, w, h)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ml.faces import load_image

PHOTOS = Path(__file__).resolve().parents[2] / "fixtures" / "photos"


def _fer_face(x: int, y: int, size: int = 176) -> tuple[int, int, int, int]:
    """The face inside a pasted FER-2013 crop: the crop less its hair/forehead band and side margins."""
    return x + round(0.1 * size), y + round(0.2 * size), round(0.8 * size), round(0.8 * size)


# Brows to chin, cheek to cheek, read off the picture by eye.
FACES: dict[str, list[tuple[int, int, int, int]]] = {
    "astronaut.jpg": [(170, 75, 100, 110)],
    "fer_happy_on_gray.png": [_fer_face(260, 120)],
    "fer_two_faces.png": [_fer_face(60, 150), _fer_face(400, 150)],
    "blank.png": [],
    # The box of each face's 68 HELEN points (brows to chin), printed by scripts/make_group_photo.py.
    "helen_group.jpg": [
        (49, 99, 30, 30),
        (212, 131, 34, 33),
        (375, 101, 38, 38),
        (503, 135, 42, 36),
        (669, 105, 46, 50),
        (79, 339, 50, 43),
        (211, 308, 54, 60),
        (369, 338, 58, 57),
        (533, 308, 60, 61),
        (652, 332, 40, 40),
    ],
}
# Photos whose faces every offline detector finds (the group photo's 30-60 px faces need YuNet).
CLASSIC_PHOTOS = ["astronaut.jpg", "fer_happy_on_gray.png", "fer_two_faces.png", "blank.png"]


def photo(name: str) -> np.ndarray:
    return load_image(PHOTOS / name)


def iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    return inter / float(aw * ah + bw * bh - inter)


def matches(found: list[tuple[int, int, int, int]], expected: list[tuple[int, int, int, int]], min_iou: float = 0.4):
    """Each expected face overlapped by exactly one found box, and no found box left over."""
    return len(found) == len(expected) and all(
        sum(iou(box, face) >= min_iou for box in found) == 1 for face in expected
    )
