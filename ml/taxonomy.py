"""Emotion taxonomy: the canonical AffectNet 8 classes and explicit maps from other label sets.

Every dataset reader maps its labels onto `EMOTIONS` through the tables here, so a name that
is not in a table fails loudly instead of silently becoming "neutral". A model records the
`LabelSet` it was trained on (e.g. FER-2013's 7 classes are a subset without contempt).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# Canonical order (AffectNet, Mollahosseini et al. 2017). Index = class id everywhere in ml/.
EMOTIONS: tuple[str, ...] = ("neutral", "happy", "sad", "surprise", "fear", "disgust", "anger", "contempt")
EMOTION_INDEX: dict[str, int] = {name: i for i, name in enumerate(EMOTIONS)}


class UnknownLabelError(ValueError):
    """A label name or code that no explicit map knows."""


@dataclass(frozen=True)
class LabelSet:
    """A named, ordered subset of the canonical emotions that a dataset or model uses."""

    name: str
    classes: tuple[str, ...]

    def __post_init__(self) -> None:
        unknown = [c for c in self.classes if c not in EMOTION_INDEX]
        if unknown:
            raise UnknownLabelError(f"label set {self.name!r} has non-canonical classes {unknown}; use {EMOTIONS}")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f"label set {self.name!r} repeats a class: {self.classes}")

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def index(self, emotion: str) -> int:
        """Position of a canonical emotion in this label set."""
        try:
            return self.classes.index(emotion)
        except ValueError:
            raise UnknownLabelError(f"{emotion!r} is not in label set {self.name!r} {self.classes}") from None

    def to_canonical(self, probs: np.ndarray) -> np.ndarray:
        """Spread (..., num_classes) scores over the 8 canonical classes (absent classes get 0)."""
        probs = np.asarray(probs)
        out = np.zeros(probs.shape[:-1] + (len(EMOTIONS),), dtype=probs.dtype)
        for i, name in enumerate(self.classes):
            out[..., EMOTION_INDEX[name]] = probs[..., i]
        return out

    def to_dict(self) -> dict:
        return {"name": self.name, "classes": list(self.classes)}

    @classmethod
    def from_dict(cls, data: dict) -> LabelSet:
        return cls(name=data["name"], classes=tuple(data["classes"]))


AFFECTNET8 = LabelSet("affectnet8", EMOTIONS)
# FER-2013 has no contempt; the 7 classes in canonical order.
FER2013_7 = LabelSet("fer2013_7", tuple(e for e in EMOTIONS if e != "contempt"))
LABEL_SETS: dict[str, LabelSet] = {s.name: s for s in (AFFECTNET8, FER2013_7)}


def get_label_set(name: str) -> LabelSet:
    try:
        return LABEL_SETS[name]
    except KeyError:
        raise UnknownLabelError(f"unknown label set {name!r}; known: {sorted(LABEL_SETS)}") from None


# FER-2013 CSV `emotion` codes (Goodfellow et al. 2013): 0=Angry 1=Disgust 2=Fear 3=Happy 4=Sad 5=Surprise 6=Neutral.
FER2013_CODES: dict[int, str] = {0: "anger", 1: "disgust", 2: "fear", 3: "happy", 4: "sad", 5: "surprise", 6: "neutral"}

# FER+ label.csv vote columns, in file order (Barsoum et al. 2016). The last two are not emotions.
FERPLUS_COLUMNS: tuple[str, ...] = (
    "neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF",
)  # fmt: skip
FERPLUS_NON_EMOTIONS: frozenset[str] = frozenset({"unknown", "NF"})

# CK+ emotion codes (Lucey et al. 2010): 0=neutral 1=anger 2=contempt 3=disgust 4=fear 5=happy 6=sadness 7=surprise.
CKPLUS_CODES: dict[int, str] = {
    0: "neutral", 1: "anger", 2: "contempt", 3: "disgust", 4: "fear", 5: "happy", 6: "sad", 7: "surprise",
}  # fmt: skip

# Folder / column names seen in the wild (Kaggle FER-2013, FER+, CK+, AffectNet, RAF-DB exports).
# Lower-cased before lookup. Everything not listed raises UnknownLabelError.
NAME_ALIASES: dict[str, str] = {
    **{e: e for e in EMOTIONS},
    "neutrality": "neutral", "calm": "neutral",
    "happiness": "happy", "joy": "happy", "happy_face": "happy",
    "sadness": "sad",
    "surprised": "surprise",
    "fearful": "fear", "afraid": "fear", "scared": "fear",
    "disgusted": "disgust",
    "angry": "anger", "anger_": "anger", "mad": "anger",
    "contemptuous": "contempt",
}  # fmt: skip


def canonical_name(name: str) -> str:
    """Map a dataset's class name ("angry", "Happiness", "surprised", ...) to a canonical emotion."""
    key = name.strip().lower()
    try:
        return NAME_ALIASES[key]
    except KeyError:
        raise UnknownLabelError(f"unknown emotion name {name!r}; expected one of {sorted(NAME_ALIASES)}") from None


def fer2013_code_to_name(code: int) -> str:
    try:
        return FER2013_CODES[int(code)]
    except (KeyError, ValueError):
        raise UnknownLabelError(f"unknown FER-2013 emotion code {code!r}; expected 0..6") from None


def ckplus_code_to_name(code: int) -> str:
    try:
        return CKPLUS_CODES[int(code)]
    except (KeyError, ValueError):
        raise UnknownLabelError(f"unknown CK+ emotion code {code!r}; expected 0..7") from None


def ferplus_votes_to_canonical(votes: Sequence[float]) -> np.ndarray:
    """Reorder one row of 10 FER+ vote counts into 8 canonical-order emotion counts (unknown/NF dropped)."""
    if len(votes) != len(FERPLUS_COLUMNS):
        raise ValueError(f"FER+ rows have {len(FERPLUS_COLUMNS)} vote columns, got {len(votes)}")
    out = np.zeros(len(EMOTIONS), dtype=np.float32)
    for column, count in zip(FERPLUS_COLUMNS, votes, strict=True):
        if column not in FERPLUS_NON_EMOTIONS:
            out[EMOTION_INDEX[canonical_name(column)]] = float(count)
    return out


def label_set_for(names: Iterable[str], name: str | None = None) -> LabelSet:
    """The label set spanned by some canonical names, in canonical order (e.g. 7 folders -> fer2013_7)."""
    present = set(names)
    classes = tuple(e for e in EMOTIONS if e in present)
    for known in LABEL_SETS.values():
        if known.classes == classes:
            return known
    return LabelSet(name or "custom_" + "_".join(classes), classes)


# Circumplex (valence, arousal) per class, each in [-1, 1]. Approximate positions placed by hand
# following the angular order of Russell's circumplex (Russell 1980, J. Pers. Soc. Psychol. 39(6),
# Fig. 2: happy/pleased at low positive arousal and high valence, surprise/astonished at high arousal,
# afraid/angry/alarmed high arousal negative valence, sad/miserable negative valence low arousal).
# They are not measured AffectNet centroids; they only turn class probabilities into a V/A estimate
# for models without a trained valence/arousal head.
CIRCUMPLEX: dict[str, tuple[float, float]] = {
    "neutral": (0.00, 0.00),
    "happy": (0.80, 0.35),
    "sad": (-0.65, -0.35),
    "surprise": (0.20, 0.80),
    "fear": (-0.60, 0.70),
    "disgust": (-0.65, 0.35),
    "anger": (-0.55, 0.75),
    "contempt": (-0.50, 0.30),
}


def derive_va(probs: Sequence[float] | np.ndarray, label_set: LabelSet = AFFECTNET8) -> tuple[float, float]:
    """Probability-weighted mean of the class circumplex points, clipped to [-1, 1]."""
    p = np.asarray(probs, dtype=np.float64)
    if p.shape != (label_set.num_classes,):
        raise ValueError(f"expected {label_set.num_classes} probabilities for {label_set.name}, got shape {p.shape}")
    total = p.sum()
    if total <= 0:
        return 0.0, 0.0
    points = np.array([CIRCUMPLEX[c] for c in label_set.classes])
    valence, arousal = np.clip((p / total) @ points, -1.0, 1.0)
    return float(valence), float(arousal)
