"""Faces in photos: loading images, detection, 68-point landmarks and alignment to a canonical crop.

Each step has one interface and several backends chosen by name; weight files come from local disk
only (see ml.faces.weights for the settings).
"""

from ml.faces.alignment import AlignedFace, align_face
from ml.faces.detection import Detection, FaceDetector, create_detector
from ml.faces.images import InvalidImageError, load_image
from ml.faces.landmarks import LandmarkPredictor, create_landmarker, eye_centers
from ml.faces.weights import MissingWeightsError

__all__ = [
    "AlignedFace",
    "Detection",
    "FaceDetector",
    "InvalidImageError",
    "LandmarkPredictor",
    "MissingWeightsError",
    "align_face",
    "create_detector",
    "create_landmarker",
    "eye_centers",
    "load_image",
]
