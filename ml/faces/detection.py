"""Face detection: one interface, several backends, chosen by name.

    detector = create_detector("yunet")   # or "opencv" (Haar), "dlib", "dlib_cnn", "opencv_dnn", "sfd", "blazeface"
    for det in detector.detect(image_rgb):   # RGB uint8 (H, W, 3)
        x, y, w, h = det.box
        det.points                           # YuNet only: five points (eyes, nose tip, mouth corners)

Scores are each backend's own confidence (higher is surer); they are comparable within a
backend, not across backends. Results are sorted by score, best first. Backends whose weights
are not on disk raise `MissingWeightsError` (see ml.faces.weights) when created.

`detector.min_face_px(height, width)` is the smallest face (box side, in the photo's pixels) the
backend is meant to find in a photo of that size; results report it, so a face that was too
small to find is explained rather than silently missing. The default YuNet backend has no
relative minimum: it searches a copy scaled so that faces of FER_MIN_FACE_PX (default 20)
pixels reach the ~30 px at which it finds nearly all of them, within a pixel budget; by default
(FER_YUNET_SEARCH=two_pass, ml.faces.search) only where the photo at its own size suggests small faces.
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ml.faces import weights
from ml.faces.search import SEARCH_MODES, Window, two_pass
from ml.settings import DEFAULT_DETECTOR, DEFAULT_MIN_FACE_PX, DEFAULT_YUNET_SEARCH

Points = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Detection:
    box: tuple[int, int, int, int]  # x, y, width, height in image pixels
    score: float
    # Five points when the backend gives them (YuNet): image-left eye, image-right eye, nose tip,
    # image-left mouth corner, image-right mouth corner, (x, y) in image pixels.
    points: Points | None = None

    def to_dict(self) -> dict:
        data = {"box": list(self.box), "score": round(self.score, 4)}
        if self.points is not None:
            data["points"] = [[round(x, 1), round(y, 1)] for x, y in self.points]
        return data


Corners = tuple[float, float, float, float]  # x1, y1, x2, y2
RawDetection = tuple[Corners, float] | tuple[Corners, float, np.ndarray]


class FaceDetector(ABC):
    """Finds faces in an RGB image, searching a copy scaled by `search_scale` (by default: large
    images shrunk to `max_side`, for speed)."""

    name: str = ""
    # The smallest face side, in pixels of the searched copy, the backend finds reliably.
    smallest_face: int = 24
    # Faces with a box side under this many photo pixels are skipped as too small (0: none are).
    min_face: int = 0

    def __init__(self, max_side: int | None = 640):
        self.max_side = max_side

    def search_scale(self, height: int, width: int) -> float:
        """Factor from photo pixels to the pixels of the copy searched."""
        if self.max_side and max(height, width) > self.max_side:
            return self.max_side / max(height, width)
        return 1.0

    def min_face_px(self, height: int, width: int) -> int:
        """The smallest face side (photo pixels) this detector is meant to find in a photo of this size."""
        return math.ceil(self.smallest_face / self.search_scale(height, width))

    def detect(self, image_rgb: np.ndarray) -> list[Detection]:
        image_rgb = _check_rgb(image_rgb)
        return self._search(image_rgb, self.search_scale(*image_rgb.shape[:2]))

    def _search(self, image_rgb: np.ndarray, scale: float, window: Window | None = None) -> list[Detection]:
        """Detections, in photo pixels, in `window` of the photo (None: all of it) searched at `scale`."""
        height, width = image_rgb.shape[:2]
        left, top = 0, 0
        if window is not None:
            left, top = window.left, window.top
            image_rgb = image_rgb[window.top : window.bottom, window.left : window.right]
        if scale != 1.0:
            part_height, part_width = image_rgb.shape[:2]
            size = (max(1, round(part_width * scale)), max(1, round(part_height * scale)))
            shrinking = scale < 1.0
            image_rgb = cv2.resize(image_rgb, size, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
        found = []
        for raw in self._detect(image_rgb):
            (x1, y1, x2, y2), score = raw[0], raw[1]
            box = _clip_box(x1 / scale + left, y1 / scale + top, x2 / scale + left, y2 / scale + top, width, height)
            if box is None:
                continue
            points = None
            if len(raw) > 2:
                xy = np.asarray(raw[2], dtype=np.float64).reshape(-1, 2)
                points = tuple((float(x) / scale + left, float(y) / scale + top) for x, y in xy)
            found.append(Detection(box, float(score), points))
        return sorted(found, key=lambda d: d.score, reverse=True)

    @abstractmethod
    def _detect(self, image_rgb: np.ndarray) -> list[RawDetection]:
        """((x1, y1, x2, y2), score[, (5, 2) points]) in the coordinates of the image given."""


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


class YuNetDetector(FaceDetector):
    """YuNet (Wu, Peng and Yu 2023; OpenCV Zoo, MIT) through cv2.FaceDetectorYN: small, turned and
    partly hidden faces, box plus five points, ~10 ms for 640x480 on 2 cores. The default.

    No relative minimum face size: the photo is searched at the scale that brings a face of
    `min_face` pixels to `smallest_face` = 30 px (YuNet found 99% of HELEN faces shrunk to 20 px
    once upscaled 1.5x, 85% without), so a 640x480 photo is searched at 960x720 (~24 ms): everywhere
    with `search="full"`; with "two_pass" (the default) at 640x480 first, then at 960x720 only around
    weak small candidates, or everywhere when that first pass finds no face or a small one
    (ml.faces.search). A large photo is searched shrunk to at most `max_pixels` (4 MP, ~0.8 s); in a
    photo larger than that the smallest face found grows accordingly, and `min_face_px` says by how much.
    """

    name = "yunet"
    smallest_face = 30

    def __init__(
        self,
        model_path: str | Path | None = None,
        min_face: int | None = None,
        score_threshold: float = 0.6,
        nms_threshold: float = 0.3,
        max_pixels: int = 4_000_000,
        max_side: int | None = None,
        search: str = DEFAULT_YUNET_SEARCH,
    ):
        super().__init__(max_side)
        if search not in SEARCH_MODES:
            raise ValueError(f"unknown YuNet search {search!r}; choose one of {', '.join(SEARCH_MODES)}")
        self.search, self.score_threshold = search, score_threshold
        path = weights.yunet_path(model_path)
        try:
            self.yunet = cv2.FaceDetectorYN.create(str(path), "", (320, 320), score_threshold, nms_threshold)
        except cv2.error as exc:
            raise ValueError(f"{path} is not a YuNet ONNX model (FER_YUNET_MODEL): {exc.msg.strip()}") from None
        # The two-pass search's upscaled pass runs on a network of its own: OpenCV re-plans a network
        # whenever its input size changes (about 8 ms a 640x480 photo when both passes shared one), and
        # each pass's sizes repeat from photo to photo.
        self.upscaled_yunet = cv2.FaceDetectorYN.create(str(path), "", (320, 320), score_threshold, nms_threshold)
        self._net, self._lock = self.yunet, threading.Lock()
        self.min_face = min_face or DEFAULT_MIN_FACE_PX
        self.max_pixels = max_pixels

    def search_scale(self, height: int, width: int) -> float:
        scale = self.smallest_face / self.min_face
        if self.max_side:
            scale = min(scale, self.max_side / max(height, width))
        budget = math.sqrt(self.max_pixels / float(height * width))
        return min(scale, budget)

    def min_face_px(self, height: int, width: int) -> int:
        return max(self.min_face, super().min_face_px(height, width))

    def detect(self, image_rgb: np.ndarray) -> list[Detection]:
        # One photo at a time: a search sets the networks' input size and score threshold, then runs them.
        with self._lock:
            if self.search == "full":
                return super().detect(image_rgb)
            image_rgb = _check_rgb(image_rgb)
            scale = self.search_scale(*image_rgb.shape[:2])
            return two_pass(image_rgb, self._search_scored, scale, self.score_threshold)

    def _search_scored(self, image_rgb, scale, window=None, threshold=None) -> list[Detection]:
        """`_search` keeping scores down to `threshold` (None: the detector's own)."""
        self._net = self.yunet if scale == 1.0 else self.upscaled_yunet
        self._net.setScoreThreshold(self.score_threshold if threshold is None else threshold)
        try:
            return self._search(image_rgb, scale, window)
        finally:
            self._net.setScoreThreshold(self.score_threshold)
            self._net = self.yunet

    def _detect(self, image_rgb):
        bgr = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR)
        self._net.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, faces = self._net.detect(bgr)
        faces = [] if faces is None else faces
        return [((f[0], f[1], f[0] + f[2], f[1] + f[3]), float(f[14]), f[4:14]) for f in faces]


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

    def min_face_px(self, height: int, width: int) -> int:
        scale = self.search_scale(height, width)
        searched_short_side = min(height, width) * scale
        return math.ceil(max(24, int(searched_short_side * self.min_size_fraction)) / scale)

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
        self.smallest_face = math.ceil(80 / 2**upsample)  # its 80x80 window, on a copy upsampled 2x per step

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
    "yunet": YuNetDetector,
    "dlib": DlibHOGDetector,
    "dlib_cnn": DlibCNNDetector,
    "sfd": FaceAlignmentDetector.sfd,
    "blazeface": FaceAlignmentDetector.blazeface,
}


def create_detector(name: str | None = None, **options) -> FaceDetector:
    """A detector backend by name (default YuNet); options go to its constructor (weight paths,
    thresholds, max_side, and for YuNet min_face). `PipelineSettings.create_detector` fills them
    from the settings."""
    name = name or DEFAULT_DETECTOR
    try:
        factory = DETECTORS[name]
    except KeyError:
        raise ValueError(f"unknown face detector {name!r}; choose one of {', '.join(DETECTORS)}") from None
    return factory(**options)
