"""ml takes its settings as arguments: PipelineSettings parses FER_* strings it is handed, and
nothing in ml reads the process environment except the CLI's entry point."""

import re
from pathlib import Path

import pytest

from ml.faces.detection import YuNetDetector
from ml.pipeline import Pipeline
from ml.settings import DEFAULT_MAX_PIXELS, PipelineSettings

ML = Path(__file__).resolve().parents[2] / "ml"
# Who may read the environment inside ml, and why.
ENV_READERS = {
    "__main__.py": "the CLI's entry point: FER_* settings",
    "training/distributed.py": "torchrun's WORLD_SIZE/RANK/LOCAL_RANK, the launcher's protocol",
    "faces/weights.py": "torch's own cache location ($TORCH_HOME), where face-alignment saves weights",
}


def test_only_the_entry_point_and_launcher_protocols_read_the_environment():
    readers = {
        str(path.relative_to(ML)) for path in ML.rglob("*.py") if re.search(r"os\.environ|getenv\(", path.read_text())
    }
    assert readers == set(ENV_READERS)


def test_unset_settings_give_the_defaults():
    settings = PipelineSettings.from_env({})
    assert settings == PipelineSettings()
    assert (settings.detector, settings.landmarks, settings.min_face_px, settings.model) == ("yunet", "dlib", 20, None)
    assert settings.max_image_pixels == DEFAULT_MAX_PIXELS and settings.min_sharpness == 25.0


def test_settings_are_parsed_and_checked():
    settings = PipelineSettings.from_env(
        {"FER_FACE_DETECTOR": " opencv ", "FER_MIN_FACE_SHARPNESS": "0", "FER_MAX_IMAGE_PIXELS": "5000", "OTHER": "x"}
    )
    assert (settings.detector, settings.min_sharpness, settings.max_image_pixels) == ("opencv", 0.0, 5000)
    with pytest.raises(ValueError, match="FER_MIN_FACE_PX must be between 8 and 2000 pixels, got '3'"):
        PipelineSettings.from_env({"FER_MIN_FACE_PX": "3"})


def test_weight_files_go_to_the_backend_that_uses_them():
    settings = PipelineSettings.from_env(
        {"FER_YUNET_MODEL": "/w/yunet.onnx", "FER_FAN_WEIGHTS": "/w/fan.pth", "FER_SFD_WEIGHTS": ""}
    )
    assert settings.weight_files == {"FER_YUNET_MODEL": "/w/yunet.onnx", "FER_FAN_WEIGHTS": "/w/fan.pth"}
    assert settings.detector_options() == {"model_path": "/w/yunet.onnx", "min_face": 20, "search": "two_pass"}
    assert settings.detector_options("opencv") == {}
    assert settings.landmark_options("fan") == {"weights_path": "/w/fan.pth"}
    assert settings.landmark_options() == {}


def test_the_environment_does_not_reach_the_constructors(monkeypatch):
    monkeypatch.setenv("FER_MIN_FACE_PX", "45")
    monkeypatch.setenv("FER_MIN_FACE_SHARPNESS", "999")
    monkeypatch.setenv("FER_YUNET_SEARCH", "full")
    pipeline = Pipeline(classify=False)
    assert isinstance(pipeline.detector, YuNetDetector) and pipeline.detector.min_face == 20
    assert pipeline.detector.search == "two_pass"
    assert pipeline.min_sharpness == 25.0


def test_the_settings_reach_the_pipeline():
    settings = PipelineSettings(min_face_px=45, min_sharpness=7.5, max_image_pixels=1234)
    pipeline = Pipeline.from_settings(settings, classify=False)
    assert (pipeline.detector.min_face, pipeline.min_sharpness, pipeline.max_image_pixels) == (45, 7.5, 1234)
