"""`FaceSet`: labelled face crops held in memory, the common result of every dataset reader."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from ml.taxonomy import CIRCUMPLEX, LabelSet


@dataclass
class FaceSet:
    """N face crops of one size with labels in `label_set` order.

    images:  uint8, (N, H, W) grayscale or (N, H, W, 3) RGB.
    labels:  int64 (N,), index into label_set.classes (the majority label for vote data).
    soft_targets: float32 (N, C) label distributions summing to 1 (FER+ votes), or None.
    valence_arousal: float32 (N, 2) annotated V/A in [-1, 1], or None.
    keypoints: float32 (N, K, 2) x, y in pixels of the stored crop (size x size), NaN where missing,
             or None: Kaggle facial keypoints (K=15) or AffectNet's 68 landmarks (K=68).
    labels may be -1 ("no emotion label") for data that has none (the facial-keypoints CSV).
    names:   the source file (or CSV row) of each item, for reports and fingerprints.
    """

    images: np.ndarray
    labels: np.ndarray
    label_set: LabelSet
    names: list[str]
    source: str = ""
    soft_targets: np.ndarray | None = None
    valence_arousal: np.ndarray | None = None
    keypoints: np.ndarray | None = None
    notes: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.images)
        if len(self.labels) != n or len(self.names) != n:
            raise ValueError(f"images ({n}), labels ({len(self.labels)}) and names ({len(self.names)}) differ")
        if self.soft_targets is not None and self.soft_targets.shape != (n, self.label_set.num_classes):
            raise ValueError(f"soft_targets shape {self.soft_targets.shape} != ({n}, {self.label_set.num_classes})")
        if self.keypoints is not None and (self.keypoints.ndim != 3 or self.keypoints.shape[::2] != (n, 2)):
            raise ValueError(f"keypoints shape {self.keypoints.shape} is not ({n}, K, 2)")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def channels(self) -> int:
        return 1 if self.images.ndim == 3 else self.images.shape[3]

    @property
    def size(self) -> int:
        return int(self.images.shape[1])

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels[self.labels >= 0], minlength=self.label_set.num_classes)
        return {name: int(c) for name, c in zip(self.label_set.classes, counts, strict=True)}

    def subset(self, indices: np.ndarray) -> FaceSet:
        indices = np.asarray(indices, dtype=np.int64)
        return FaceSet(
            images=self.images[indices],
            labels=self.labels[indices],
            label_set=self.label_set,
            names=[self.names[i] for i in indices],
            source=self.source,
            soft_targets=None if self.soft_targets is None else self.soft_targets[indices],
            valence_arousal=None if self.valence_arousal is None else self.valence_arousal[indices],
            keypoints=None if self.keypoints is None else self.keypoints[indices],
            notes=dict(self.notes),
        )

    def with_emotion_labels(self) -> FaceSet:
        """The items that have an emotion label, for emotion tasks; V/A-only rows (label -1) are left out
        and counted in notes["left_out_no_emotion"]. Unchanged when every or no item has a label (data
        without any emotion label is refused later, with a message saying so)."""
        labelled = np.flatnonzero(self.labels >= 0)
        if len(labelled) in (0, len(self)):
            return self
        kept = self.subset(labelled)
        kept.notes["left_out_no_emotion"] = len(self) - len(labelled)
        return kept

    def targets(self) -> np.ndarray:
        """(N, C) training targets: the vote distribution if there is one, else one-hot labels."""
        if self.soft_targets is not None:
            return self.soft_targets
        return np.eye(self.label_set.num_classes, dtype=np.float32)[self.labels]

    def va_targets(self) -> np.ndarray:
        """(N, 2) valence/arousal: annotated if available, else derived from the targets via the circumplex."""
        if self.valence_arousal is not None:
            return self.valence_arousal
        points = np.array([CIRCUMPLEX[c] for c in self.label_set.classes], dtype=np.float32)
        return np.clip(self.targets() @ points, -1.0, 1.0).astype(np.float32)

    def fingerprint(self) -> str:
        """A short hash of names, labels and pixels: two runs on the same data share it."""
        digest = hashlib.sha256()
        digest.update(self.label_set.name.encode())
        digest.update("\n".join(self.names).encode())
        digest.update(np.ascontiguousarray(self.labels).tobytes())
        digest.update(np.ascontiguousarray(self.images).tobytes())
        if self.soft_targets is not None:
            digest.update(np.ascontiguousarray(self.soft_targets).tobytes())
        return digest.hexdigest()[:16]


def stratified_split(labels: np.ndarray, fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic per-class split into (keep, held_out) index arrays; every class keeps >= 1 item."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"split fraction must be in (0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    keep, held = [], []
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        idx = idx[rng.permutation(len(idx))]
        n_held = min(int(round(len(idx) * fraction)), len(idx) - 1)
        held.append(idx[:n_held])
        keep.append(idx[n_held:])
    return np.sort(np.concatenate(keep)), np.sort(np.concatenate(held))
