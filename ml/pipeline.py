"""Photo in, faces out: detect -> 68 landmarks -> align -> classify (8 emotions) -> valence/arousal.

    pipeline = Pipeline(detector="yunet", landmarks="dlib")             # bundled models by default
    for face in pipeline.predict("photo.jpg"):
        print(face.box, face.emotion, face.valence, face.arousal)

`Pipeline.analyze` returns the same faces plus per-stage timings and what detection did (the
detector, the smallest face it looks for in this photo, and the faces it found but skipped as too
small or too blurred); `PipelineResult.to_dict()` is the JSON shape the CLI and the worker store.
The constructor takes plain arguments; `Pipeline.from_settings(PipelineSettings.from_env(...))`
builds one from the FER_* settings (ml.settings), which the program's entry point reads.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ml.faces.alignment import align_face
from ml.faces.box_mapping import dlib_style_box
from ml.faces.detection import Detection, FaceDetector, create_detector
from ml.faces.images import ImageSource, InvalidImageError, load_image
from ml.faces.landmarks import LandmarkPredictor, create_landmarker
from ml.faces.quality import sharpness
from ml.faces.weights import MissingWeightsError
from ml.settings import DEFAULT_LANDMARKS, DEFAULT_MAX_PIXELS, DEFAULT_MIN_SHARPNESS, PipelineSettings
from ml.taxonomy import AFFECTNET8, EMOTIONS, derive_va

__all__ = [
    "DEFAULT_MODEL_PATH",
    "FaceResult",
    "InvalidImageError",
    "MissingWeightsError",
    "Pipeline",
    "PipelineResult",
    "checkpoint_version",
    "load_image",
]

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "ferplus_default.pt"
SALIENCY_METHODS = ("gradcam", "gradcam++", "gradients")
STAGES = ("load", "detect", "landmarks", "align", "classify", "va", "saliency")
SCHEMA_VERSION = 2  # 2: "detection" (detector, min_face_px, skipped faces) and saliency_degenerate


@dataclass
class FaceResult:
    """One face: where it is, its landmarks and crop, and (with a classifier) emotion and valence/arousal."""

    box: tuple[int, int, int, int]  # x, y, w, h in pixels of the (EXIF-upright) image
    score: float  # detector confidence
    landmarks: np.ndarray  # (68, 2) float32 image coordinates, iBUG-68 order
    aligned_crop: np.ndarray  # uint8 crop the classifier saw (grayscale (S, S) or RGB (S, S, 3))
    crop_landmarks: np.ndarray | None = None  # (68, 2) the landmarks in crop pixels: what landmark models read
    probs: dict[str, float] | None = None  # over the 8 canonical EMOTIONS; classes the model lacks get 0
    emotion: str | None = None
    valence: float | None = None  # [-1, 1]
    arousal: float | None = None  # [-1, 1]
    va_source: str | None = None  # "learned" (V/A head trained on V/A labels) or "derived" (class circumplex)
    model_version: str | None = None
    saliency: np.ndarray | None = None  # [0, 1] heatmap at crop size for `emotion`
    saliency_degenerate: bool = False  # the map has no structure (flat): nothing to show, and we say so
    sharpness: float | None = None  # variance of the Laplacian of the aligned crop (ml.faces.quality)

    def to_dict(self, include_crop: bool = False) -> dict[str, Any]:
        """JSON-ready, always the same keys; saliency (when computed) and, on request, the crop as nested lists."""
        data: dict[str, Any] = {
            "box": [int(v) for v in self.box],
            "score": round(float(self.score), 4),
            "landmarks": np.round(self.landmarks.astype(float), 2).tolist(),
            "emotion": self.emotion,
            "probs": None if self.probs is None else {k: round(float(v), 4) for k, v in self.probs.items()},
            "valence": None if self.valence is None else round(float(self.valence), 4),
            "arousal": None if self.arousal is None else round(float(self.arousal), 4),
            "va_source": self.va_source,
            "model_version": self.model_version,
            "saliency": None if self.saliency is None else np.round(self.saliency.astype(float), 3).tolist(),
            "saliency_degenerate": self.saliency_degenerate,
            "sharpness": None if self.sharpness is None else round(float(self.sharpness), 1),
        }
        if include_crop:
            data["aligned_crop"] = self.aligned_crop.tolist()
        return data


@dataclass(frozen=True)
class SkippedFace:
    """A face the detector found that got no prediction, and why."""

    box: tuple[int, int, int, int]
    score: float
    reason: str  # "too_small" (side under min_face_px) or "too_blurred" (crop sharpness under the setting)

    def to_dict(self) -> dict[str, Any]:
        return {"box": [int(v) for v in self.box], "score": round(float(self.score), 4), "reason": self.reason}


@dataclass
class DetectionReport:
    """What detection did on one photo, so that a missing face has a reason on the page."""

    detector: str
    min_face_px: int  # the smallest face side searched for in this photo (grows in very large photos)
    min_sharpness: float  # crops below this were skipped as too blurred (0: none are)
    skipped: list[SkippedFace] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "min_face_px": int(self.min_face_px),
            "min_sharpness": float(self.min_sharpness),
            "skipped": [s.to_dict() for s in self.skipped],
        }


@dataclass
class PipelineResult:
    faces: list[FaceResult]
    image_size: tuple[int, int]  # width, height after EXIF rotation
    timings_ms: dict[str, float] = field(default_factory=dict)  # per stage, summed over faces, plus "total"
    detection: DetectionReport | None = None

    def to_dict(self, include_crop: bool = False) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "image": {"width": self.image_size[0], "height": self.image_size[1]},
            "detection": None if self.detection is None else self.detection.to_dict(),
            "faces": [f.to_dict(include_crop) for f in self.faces],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }


class Classifier:
    """A checkpoint's network with its preprocessing; answers canonical 8-class probabilities and V/A."""

    def __init__(self, path: str | Path):
        from ml.checkpoint import load_checkpoint

        path = Path(path)
        if not path.is_file():
            raise MissingWeightsError("emotion classifier checkpoint", "FER_MODEL", path)
        try:
            self.checkpoint = load_checkpoint(path)
        except (OSError, RuntimeError, EOFError, pickle.UnpicklingError, KeyError, ValueError) as exc:
            raise ValueError(f"{path} is not a readable classifier checkpoint: {exc}") from None
        self.inference_model = self.checkpoint.inference_model()  # what predictions run (BN folded)
        self.label_set = self.checkpoint.label_set
        self.input_size = self.checkpoint.input_size
        self.grayscale = self.checkpoint.in_chans == 1
        self.va_learned = self.checkpoint.va_learned
        self.va_learned_on = self.checkpoint.va_learned_on  # e.g. synthetic faces; None when unsaid
        self.version = checkpoint_version(path)

    @cached_property
    def model(self):
        """The network as trained, built on first use: saliency maps read its convolutions (before BN)."""
        return self.checkpoint.build_model()

    def preprocess(self, crops: list[np.ndarray]) -> torch.Tensor:
        return self.checkpoint.preprocess(np.stack(crops))

    @property
    def uses_landmarks(self) -> bool:
        """Whether the network reads 68 landmarks besides the crop (CNN-1DNN, CNN-3DNN)."""
        return self.inference_model.uses_landmarks

    def landmark_tensor(self, points: list[np.ndarray | None]) -> torch.Tensor:
        """Crop-pixel landmarks of a batch ((68, 2) each, None where unknown) as the network reads them."""
        from ml.faces.crop_landmarks import landmark_batch
        from ml.models.points import to_normalized

        return torch.from_numpy(to_normalized(landmark_batch(points), self.input_size))

    def __call__(
        self, batch: torch.Tensor, landmarks: list[np.ndarray | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """(N, 8) canonical probabilities and (N, 2) V/A from the head (None without one).

        `landmarks`: each face's 68 points in pixels of its crop (None where unknown), read by landmark
        models only; without them those models fall back to their learned default shape.
        """
        marks = self.landmark_tensor(landmarks) if landmarks is not None and self.uses_landmarks else None
        with torch.inference_mode():
            out = self.inference_model(batch) if marks is None else self.inference_model(batch, marks)
        probs = torch.softmax(out.logits.float(), dim=1).numpy()
        va = out.va.float().numpy() if out.va is not None else None
        return self.label_set.to_canonical(probs), va


def checkpoint_version(path: str | Path) -> str:
    """The version string "<file stem>:<first 12 hex of SHA-256>": names the exact weights behind a prediction."""
    path = Path(path)
    return f"{path.stem}:{_file_digest(path)}"


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:12]


class _Timer:
    def __init__(self):
        self.ms: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.ms[name] = self.ms.get(name, 0.0) + (time.perf_counter() - start) * 1000.0


class Pipeline:
    """Detector + landmark backend + optional classifier, loaded once and reused for many images.

    `classifier_checkpoint=None` uses the bundled models/ferplus_default.pt;
    `classify=False` stops after alignment (faces and landmarks only, no model needed).
    `saliency` is None, "gradcam", "gradcam++" or "gradients" (for the predicted class of each face).
    Faces smaller than the detector's minimum face size, or whose aligned crop is less sharp than
    `min_sharpness` (default 25), are reported as skipped, not predicted. Images over
    `max_image_pixels` are refused before decoding.
    """

    def __init__(
        self,
        detector: str | FaceDetector | None = None,
        landmarks: str | LandmarkPredictor | None = None,
        classifier_checkpoint: str | Path | None = None,
        classify: bool = True,
        saliency: str | None = None,
        max_faces: int | None = None,
        crop_size: int = 48,
        grayscale: bool = True,
        detector_options: dict[str, Any] | None = None,
        landmark_options: dict[str, Any] | None = None,
        min_sharpness: float = DEFAULT_MIN_SHARPNESS,
        max_image_pixels: int = DEFAULT_MAX_PIXELS,
    ):
        landmarks = landmarks or DEFAULT_LANDMARKS
        if isinstance(detector, FaceDetector):
            self.detector = detector
        else:
            self.detector = create_detector(detector, **(detector_options or {}))
        self.min_sharpness = float(min_sharpness)
        self.max_image_pixels = max_image_pixels
        self.landmarker = (
            create_landmarker(landmarks, **(landmark_options or {})) if isinstance(landmarks, str) else landmarks
        )
        self.classifier: Classifier | None = None
        if classify:
            path = classifier_checkpoint or DEFAULT_MODEL_PATH
            self.classifier = Classifier(path)
        if saliency is not None and saliency not in SALIENCY_METHODS:
            raise ValueError(f"saliency must be None or one of {', '.join(SALIENCY_METHODS)}, not {saliency!r}")
        if saliency and self.classifier is None:
            raise ValueError("saliency needs a classifier")
        self.saliency = saliency
        self.max_faces = max_faces
        # The crop follows the model: its input size and channels; without a model, the given defaults.
        self.crop_size = self.classifier.input_size if self.classifier else crop_size
        self.grayscale = self.classifier.grayscale if self.classifier else grayscale

    @classmethod
    def from_settings(
        cls,
        settings: PipelineSettings,
        *,
        detector: str | FaceDetector | None = None,
        landmarks: str | LandmarkPredictor | None = None,
        classifier_checkpoint: str | Path | None = None,
        **options: Any,
    ) -> Pipeline:
        """A pipeline as `settings` say, with the given detector, landmarks or checkpoint instead where given
        (a backend named here still gets its weight files from the settings)."""
        if not isinstance(detector, FaceDetector):
            detector = settings.create_detector(detector)
        if not isinstance(landmarks, LandmarkPredictor):
            landmarks = settings.create_landmarker(landmarks)
        return cls(
            detector=detector,
            landmarks=landmarks,
            classifier_checkpoint=classifier_checkpoint or settings.model,
            min_sharpness=settings.min_sharpness,
            max_image_pixels=settings.max_image_pixels,
            **options,
        )

    @property
    def model_version(self) -> str | None:
        return self.classifier.version if self.classifier else None

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "detector": self.detector.name,
            "min_sharpness": self.min_sharpness,
            "landmarks": self.landmarker.name,
            "crop": {"size": self.crop_size, "channels": 1 if self.grayscale else 3},
            "model": None,
        }
        if self.classifier:
            ckpt = self.classifier.checkpoint
            info["model"] = {
                "version": self.classifier.version,
                "arch": ckpt.arch,
                "label_set": ckpt.label_set.to_dict(),
                "va_source": "learned" if self.classifier.va_learned else "derived",
            }
        return info

    def warm_up(self) -> None:
        """Run the classifier once on a blank crop: the first forward pass pays for kernel setup (~0.3 s on CPU)."""
        if self.classifier is not None:
            blank = np.zeros((self.crop_size, self.crop_size) + (() if self.grayscale else (3,)), np.uint8)
            self.classifier(self.classifier.preprocess([blank]))

    def predict(self, image: ImageSource) -> list[FaceResult]:
        return self.analyze(image).faces

    def analyze(self, image: ImageSource) -> PipelineResult:
        timer = _Timer()
        start = time.perf_counter()
        with timer.stage("load"):
            rgb = load_image(image, self.max_image_pixels)
        height, width = rgb.shape[:2]
        report = DetectionReport(self.detector.name, self.detector.min_face_px(height, width), self.min_sharpness)
        with timer.stage("detect"):
            detections = self.detector.detect(rgb)
        faces = []
        for det in detections:
            if min(det.box[2:]) < self.detector.min_face:
                report.skipped.append(SkippedFace(det.box, det.score, "too_small"))
                continue
            if self.max_faces is not None and len(faces) >= self.max_faces:
                break
            face = self._face(rgb, det, timer)
            if face.sharpness < self.min_sharpness:
                report.skipped.append(SkippedFace(det.box, det.score, "too_blurred"))
                continue
            faces.append(face)
        if faces and self.classifier is not None:
            self._classify(faces, timer)
        timer.ms["total"] = (time.perf_counter() - start) * 1000.0
        for stage in STAGES:
            timer.ms.setdefault(stage, 0.0)
        return PipelineResult(faces, (width, height), {k: timer.ms[k] for k in (*STAGES, "total")}, report)

    def _face(self, rgb: np.ndarray, det: Detection, timer: _Timer) -> FaceResult:
        """Landmarks (from the box convention the landmark backend expects) and the aligned crop."""
        with timer.stage("landmarks"):
            box = dlib_style_box(det, self.detector.name) if self.landmarker.name == "dlib" else det.box
            points = self.landmarker.predict(rgb, box)
        with timer.stage("align"):
            aligned = align_face(rgb, points, size=self.crop_size, grayscale=self.grayscale)
            value = sharpness(aligned.image)
        return FaceResult(
            box=det.box,
            score=det.score,
            landmarks=points,
            aligned_crop=aligned.image,
            crop_landmarks=aligned.to_crop(points),
            sharpness=value,
        )

    def _classify(self, faces: list[FaceResult], timer: _Timer) -> None:
        classifier = self.classifier
        with timer.stage("classify"):
            batch = classifier.preprocess([f.aligned_crop for f in faces])
            probs, va = classifier(batch, [f.crop_landmarks for f in faces])
        with timer.stage("va"):
            for i, face in enumerate(faces):
                face.probs = dict(zip(EMOTIONS, probs[i].tolist(), strict=True))
                face.emotion = EMOTIONS[int(np.argmax(probs[i]))]
                if classifier.va_learned and va is not None:
                    face.valence, face.arousal = (float(v) for v in va[i])
                    face.va_source = "learned"
                else:
                    face.valence, face.arousal = derive_va(probs[i], AFFECTNET8)
                    face.va_source = "derived"
                face.model_version = classifier.version
        if self.saliency:
            from ml.saliency import is_degenerate, saliency_map

            with timer.stage("saliency"):
                for i, face in enumerate(faces):
                    class_index = classifier.label_set.index(face.emotion)
                    marks = classifier.landmark_tensor([face.crop_landmarks]) if classifier.uses_landmarks else None
                    face.saliency = saliency_map(
                        classifier.model, batch[i : i + 1], class_index, self.saliency, landmarks=marks
                    )
                    face.saliency_degenerate = is_degenerate(face.saliency)
