"""Face detection: one interface, several backends, chosen by name.

    detector = create_detector("opencv")          # or "dlib", "dlib_cnn", "opencv_dnn", "sfd", "blazeface"
    for det in detector.detect(image_rgb):        # RGB uint8 (H, W, 3)
        x, y, w, h = det.box

Scores are each backend's own confidence (higher is surer); they are comparable within a
backend, not across backends. Results are sorted by score, best first. Backends whose weights
are not on disk raise `MissingWeightsError` (see ml.faces.weights) when created.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ml.faces import weights


@dataclass(frozen=True)
class Detection:
    box: tuple[int, int, int, int]  # x, y, width, height in image pixels
    score: float

    def to_dict(self) -> dict:
        return {"box": list(self.box), "score": round(self.score, 4)}


class FaceDetector(ABC):
    """Finds faces in an RGB image. Large images are shrunk to `max_side` first, for speed."""

    name: str = ""

    def __init__(self, max_side: int | None = 640):
        self.max_side = max_side

    def detect(self, image_rgb: np.ndarray) -> list[Detection]:
        image_rgb = _check_rgb(image_rgb)
        height, width = image_rgb.shape[:2]
        scale = 1.0
        if self.max_side and max(height, width) > self.max_side:
            scale = self.max_side / max(height, width)
            small = (max(1, round(width * scale)), max(1, round(height * scale)))
            image_rgb = cv2.resize(image_rgb, small, interpolation=cv2.INTER_AREA)
        found = []
        for (x1, y1, x2, y2), score in self._detect(image_rgb):
            box = _clip_box(x1 / scale, y1 / scale, x2 / scale, y2 / scale, width, height)
            if box is not None:
                found.append(Detection(box, float(score)))
        return sorted(found, key=lambda d: d.score, reverse=True)

    @abstractmethod
    def _detect(self, image_rgb: np.ndarray) -> list[tuple[tuple[float, float, float, float], float]]:
        """((x1, y1, x2, y2), score) pairs in the coordinates of the image given."""


def _check_rgb(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        shape = getattr(image, "shape", None)
        raise ValueError(f"expected an RGB uint8 array (H, W, 3), got {type(image).__name__} {shape}")
    return image


def _clip_box(x1: float, y1: float, x2: float, y2: float, width: int, height: int) -> tuple[int, int, int, int] | None:
    left, top = max(0, math.floor(x1)), max(0, math.floor(y1))
    right, bottom = min(width, math.ceil(x2)), min(height, math.ceil(y2))
    if right - left < 2 or bottom - top < 2:
        return None
    return left, top, right - left, bottom - top


def _min_size(image: np.ndarray, fraction: float, floor: int) -> int:
    return max(floor, int(min(image.shape[:2]) * fraction))


class HaarDetector(FaceDetector):
    """OpenCV's Viola-Jones Haar cascade (the XML files ship with opencv-python 4.x). Frontal faces only.

    Defaults suit portraits, selfies and small groups: faces at least `min_size_fraction` = 15% of
    the shorter side of a copy at most `max_side` = 640 px wide (~34 ms for 640x480 on this project's
    2-core machine). Group photos with small faces want 0.05-0.08 (~70-80 ms); shrinking the copy
    to 320 px is as fast but raised false alarms on the test photos.
    """

    name = "opencv"

    def __init__(
        self,
        cascade_path: str | Path | None = None,
        scale_factor: float = 1.1,
        min_neighbors: int = 5,
        min_size_fraction: float = 0.15,
        max_side: int | None = 640,
    ):
        super().__init__(max_side)
        path = weights.haar_cascade_path(cascade_path)
        self.cascade = cv2.CascadeClassifier(str(path))
        if self.cascade.empty():
            raise weights.MissingWeightsError("OpenCV Haar face cascade (unreadable file)", "FER_HAAR_CASCADE", path)
        self.scale_factor, self.min_neighbors, self.min_size_fraction = scale_factor, min_neighbors, min_size_fraction

    def _detect(self, image_rgb):
        gray = cv2.equalizeHist(cv2.cvtColor(image_rgb, cv2.COLOR_RGB2GRAY))
        size = _min_size(gray, self.min_size_fraction, 24)
        boxes, _levels, level_weights = self.cascade.detectMultiScale3(
            gray, self.scale_factor, self.min_neighbors, minSize=(size, size), outputRejectLevels=True
        )
        # The last stage's weight is an unbounded margin; a logistic squashes it into (0, 1).
        return [
            ((x, y, x + w, y + h), 1.0 / (1.0 + math.exp(-float(weight))))
            for (x, y, w, h), weight in zip(boxes, np.ravel(level_weights), strict=False)
        ]


class OpenCVDNNDetector(FaceDetector):
    """OpenCV DNN: YuNet (.onnx, cv2.FaceDetectorYN) or the res10 SSD (.caffemodel/.pb + config)."""

    name = "opencv_dnn"

    def __init__(
        self,
        model_path: str | Path | None = None,
        config_path: str | Path | None = None,
        score_threshold: float = 0.6,
        nms_threshold: float = 0.3,
        max_side: int | None = 640,
    ):
        super().__init__(max_side)
        model, config = weights.opencv_dnn_paths(model_path, config_path)
        self.score_threshold = score_threshold
        if config is None:
            self.yunet = cv2.FaceDetectorYN.create(str(model), "", (320, 320), score_threshold, nms_threshold)
            self.net = None
        else:
            self.yunet = None
            self.net = cv2.dnn.readNet(str(model), str(config))

    def _detect(self, image_rgb):
        bgr = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR)
        height, width = bgr.shape[:2]
        if self.yunet is not None:
            self.yunet.setInputSize((width, height))
            _, faces = self.yunet.detect(bgr)
            faces = [] if faces is None else faces
            return [((f[0], f[1], f[0] + f[2], f[1] + f[3]), float(f[14])) for f in faces]
        blob = cv2.dnn.blobFromImage(bgr, 1.0, (300, 300), (104.0, 177.0, 123.0))
        self.net.setInput(blob)
        out = self.net.forward().reshape(-1, 7)  # [_, class, score, x1, y1, x2, y2] in [0, 1]
        return [
            ((r[3] * width, r[4] * height, r[5] * width, r[6] * height), float(r[2]))
            for r in out
            if r[2] >= self.score_threshold
        ]


class DlibHOGDetector(FaceDetector):
    """dlib's HOG + linear SVM frontal face detector; score is the SVM margin from `run`.

    dlib's own cut-off is a margin of 0; candidates between 0 and 0.3 were mostly background
    (hands, folds) on our test photos while real faces scored 0.5-2.3, hence threshold=0.3.
    """

    name = "dlib"

    def __init__(self, upsample: int = 1, threshold: float = 0.3, max_side: int | None = 640):
        super().__init__(max_side)
        import dlib

        self.detector = dlib.get_frontal_face_detector()
        self.upsample, self.threshold = upsample, threshold

    def _detect(self, image_rgb):
        rects, scores, _ = self.detector.run(image_rgb, self.upsample, self.threshold)
        return [((r.left(), r.top(), r.right() + 1, r.bottom() + 1), s) for r, s in zip(rects, scores, strict=True)]


class DlibCNNDetector(FaceDetector):
    """dlib's MMOD CNN detector (file from face_recognition_models): more robust to pose, slow on CPU."""

    name = "dlib_cnn"

    def __init__(self, model_path: str | Path | None = None, upsample: int = 0, max_side: int | None = 640):
        super().__init__(max_side)
        import dlib

        self.detector = dlib.cnn_face_detection_model_v1(str(weights.dlib_cnn_detector_path(model_path)))
        self.upsample = upsample

    def _detect(self, image_rgb):
        return [
            ((d.rect.left(), d.rect.top(), d.rect.right() + 1, d.rect.bottom() + 1), d.confidence)
            for d in self.detector(image_rgb, self.upsample)
        ]


class FaceAlignmentDetector(FaceDetector):
    """face-alignment's PyTorch detectors (S3FD, BlazeFace), only from weight files already on disk."""

    def __init__(self, backend, name: str, max_side: int | None = 640):
        super().__init__(max_side)
        self.backend, self.name = backend, name

    def _detect(self, image_rgb):
        import torch

        with torch.no_grad():
            boxes = self.backend.detect_from_image(image_rgb.copy())
        return [((b[0], b[1], b[2], b[3]), float(b[4])) for b in boxes]

    @classmethod
    def sfd(cls, weights_path: str | Path | None = None, threshold: float = 0.5, **kw) -> FaceAlignmentDetector:
        from face_alignment.detection.sfd.sfd_detector import SFDDetector

        path = weights.sfd_weights_path(weights_path)
        return cls(SFDDetector("cpu", path_to_detector=str(path), filter_threshold=threshold), "sfd", **kw)

    @classmethod
    def blazeface(
        cls, weights_path: str | Path | None = None, anchors_path: str | Path | None = None, **kw
    ) -> FaceAlignmentDetector:
        from face_alignment.detection.blazeface.blazeface_detector import BlazeFaceDetector

        model, anchors = weights.blazeface_paths(weights_path, anchors_path)
        backend = BlazeFaceDetector("cpu", path_to_detector=str(model), path_to_anchor=str(anchors))
        return cls(backend, "blazeface", **kw)


DETECTORS: dict[str, Callable[..., FaceDetector]] = {
    "opencv": HaarDetector,
    "haar": HaarDetector,
    "opencv_dnn": OpenCVDNNDetector,
    "yunet": OpenCVDNNDetector,
    "dlib": DlibHOGDetector,
    "dlib_cnn": DlibCNNDetector,
    "sfd": FaceAlignmentDetector.sfd,
    "blazeface": FaceAlignmentDetector.blazeface,
}


def create_detector(name: str = "opencv", **options) -> FaceDetector:
    """A detector backend by name; options go to its constructor (paths, thresholds, max_side)."""
    try:
        factory = DETECTORS[name]
    except KeyError:
        raise ValueError(f"unknown face detector {name!r}; choose one of {', '.join(DETECTORS)}") from None
    return factory(**options)
