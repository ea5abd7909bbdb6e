"""Where the face models' weight files come from: settings, defaults, and one clear error when absent.

Every file is resolved from local disk only: the path the caller passes (from the setting named
here: `ml.settings.PipelineSettings.weight_files`, filled by whoever reads the environment), else
the bundled or cached default. Nothing downloads, and nothing here reads the environment but
torch's own cache location.

Settings and their defaults:

- FER_YUNET_MODEL: YuNet face detector .onnx (the copy bundled in models/, see models/face_detection_yunet.md)
- FER_FACE_DETECTOR_MODEL: OpenCV DNN detector, YuNet .onnx or res10 SSD .caffemodel/.pb (none by default)
- FER_FACE_DETECTOR_CONFIG: the res10 SSD's deploy.prototxt / .pbtxt (not needed for YuNet)
- FER_HAAR_CASCADE: Haar cascade XML (haarcascade_frontalface_default.xml from cv2.data)
- FER_DLIB_SHAPE_PREDICTOR: dlib 68-point shape predictor (face_recognition_models' copy)
- FER_DLIB_CNN_DETECTOR: dlib MMOD CNN face detector (face_recognition_models' copy)
- FER_FAN_WEIGHTS: face-alignment 2DFAN-4 (<torch hub>/checkpoints/2DFAN4-11f355bf06.pth.tar)
- FER_SFD_WEIGHTS: face-alignment S3FD detector (<torch hub>/checkpoints/s3fd-619a316812.pth)
- FER_BLAZEFACE_WEIGHTS, FER_BLAZEFACE_ANCHORS: BlazeFace (<torch hub>/checkpoints/blazeface.pth, anchors.npy)

The torch hub dir is `$TORCH_HOME/hub` (default ~/.cache/torch/hub): the place face-alignment
itself saves these files, so weights fetched once by hand, or by face-alignment on a machine
with internet, are found.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


class MissingWeightsError(FileNotFoundError):
    """A model file a backend needs is not on disk; the message names the setting and the path."""

    def __init__(self, what: str, setting: str, path: Path | str | None, hint: str = ""):
        self.what, self.setting, self.path = what, setting, path
        where = f"not found at {path}" if path else "no file configured"
        message = f"{what}: {where}. Set {setting} to a local copy of the file; nothing is downloaded at run time."
        super().__init__(message + (f" {hint}" if hint else ""))

    def __str__(self) -> str:  # FileNotFoundError would otherwise print "[Errno None]"
        return self.args[0]


MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
YUNET_FILE = MODELS_DIR / "face_detection_yunet.onnx"
# The bundled YuNet's SHA-256 (models/face_detection_yunet.md says where it came from).
YUNET_SHA256 = "ebafce4e3c118d6554634be5c27ab333b4c047a9a8c3faf1d7cf93101c22f0f0"

# Hub-cache file names: the basenames of the URLs face-alignment 1.x downloads from.
FAN_2D_FILE = "2DFAN4-11f355bf06.pth.tar"
SFD_FILE = "s3fd-619a316812.pth"
BLAZEFACE_FILE = "blazeface.pth"
BLAZEFACE_ANCHORS_FILE = "anchors.npy"


def torch_hub_checkpoints() -> Path:
    """Where torch.hub (and face-alignment) cache downloaded weights, computed without importing torch.

    torch's own rule ($TORCH_HOME, else $XDG_CACHE_HOME/torch), so files face-alignment fetched are found.
    """
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "torch"
    )
    return Path(torch_home) / "hub" / "checkpoints"


def resolve(what: str, setting: str, explicit: str | Path | None = None, default: Path | None = None) -> Path:
    """The explicit path, else the default; it must exist, else MissingWeightsError naming `setting`."""
    path = Path(explicit).expanduser() if explicit else default
    if path is None or not path.is_file():
        raise MissingWeightsError(what, setting, path)
    return path


def face_recognition_models_file(name: str) -> Path | None:
    """A file inside the face_recognition_models package, found without importing it.

    (Its __init__ imports pkg_resources, which recent setuptools no longer ships.)
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "models" / name


def dlib_shape_predictor_path(explicit: str | Path | None = None) -> Path:
    return resolve(
        "dlib 68-point shape predictor",
        "FER_DLIB_SHAPE_PREDICTOR",
        explicit,
        face_recognition_models_file("shape_predictor_68_face_landmarks.dat"),
    )


def dlib_cnn_detector_path(explicit: str | Path | None = None) -> Path:
    return resolve(
        "dlib MMOD CNN face detector",
        "FER_DLIB_CNN_DETECTOR",
        explicit,
        face_recognition_models_file("mmod_human_face_detector.dat"),
    )


def haar_cascade_path(explicit: str | Path | None = None) -> Path:
    import cv2

    default = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml" if hasattr(cv2, "data") else None
    return resolve("OpenCV Haar face cascade", "FER_HAAR_CASCADE", explicit, default)


def fan_weights_path(explicit: str | Path | None = None) -> Path:
    return resolve("face-alignment FAN 2D weights", "FER_FAN_WEIGHTS", explicit, torch_hub_checkpoints() / FAN_2D_FILE)


def sfd_weights_path(explicit: str | Path | None = None) -> Path:
    return resolve(
        "face-alignment S3FD detector weights", "FER_SFD_WEIGHTS", explicit, torch_hub_checkpoints() / SFD_FILE
    )


def blazeface_paths(weights: str | Path | None = None, anchors: str | Path | None = None) -> tuple[Path, Path]:
    hub = torch_hub_checkpoints()
    return (
        resolve("face-alignment BlazeFace weights", "FER_BLAZEFACE_WEIGHTS", weights, hub / BLAZEFACE_FILE),
        resolve("face-alignment BlazeFace anchors", "FER_BLAZEFACE_ANCHORS", anchors, hub / BLAZEFACE_ANCHORS_FILE),
    )


def yunet_path(explicit: str | Path | None = None) -> Path:
    return resolve("YuNet face detector (.onnx)", "FER_YUNET_MODEL", explicit, YUNET_FILE)


def opencv_dnn_paths(model: str | Path | None = None, config: str | Path | None = None) -> tuple[Path, Path | None]:
    """The OpenCV DNN detector file, and for an SSD (not YuNet) its network description."""
    model_path = resolve("OpenCV DNN face detector model (YuNet .onnx or res10 SSD)", "FER_FACE_DETECTOR_MODEL", model)
    if model_path.suffix.lower() == ".onnx":
        return model_path, None
    config_path = resolve(
        "OpenCV DNN face detector config (deploy.prototxt / .pbtxt)", "FER_FACE_DETECTOR_CONFIG", config
    )
    return model_path, config_path
