"""Shared helpers for the ml tests: the committed FER fixtures and small synthetic datasets."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fer"
FERPLUS = FIXTURES / "ferplus"
FER2013 = FIXTURES / "fer2013"


@pytest.fixture(autouse=True, scope="session")
def _few_threads():
    # The tests run beside other suites on small machines; two threads is plenty for tiny tensors.
    torch.set_num_threads(2)


@pytest.fixture
def ferplus_dir() -> Path:
    return FERPLUS


@pytest.fixture
def fer2013_dir() -> Path:
    return FER2013


@pytest.fixture
def fer2013_zip(tmp_path: Path) -> Path:
    """The fer2013 fixture packed like Kaggle's download: fer2013.zip holding fer2013/train/<class>/."""
    archive = shutil.make_archive(str(tmp_path / "fer2013"), "zip", root_dir=FIXTURES, base_dir="fer2013")
    return Path(archive)


def write_class_folders(root: Path, counts: dict[str, int], size: int = 48, seed: int = 0) -> Path:
    """Random-noise PNGs in <root>/<class>/ for layout tests that do not need real faces."""
    rng = np.random.default_rng(seed)
    for name, n in counts.items():
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            cv2.imwrite(str(folder / f"{i}.png"), rng.integers(0, 255, (size, size), dtype=np.uint8))
    return root


# Tests that take over ~5 s on a quiet 2-core machine (measured with --durations): real training runs,
# the largest architectures, DDP, FAN. Marked here rather than on each test, so `make test-fast`
# (-m "not slow") can leave them out without touching the test files.
_HEAVY_ARCHS = ("densenet121", "densenet201", "inception_resnet_v2", "inception_v3", "convnext_tiny",
                "wide_resnet50_2", "wide_resnet101_2", "resnet50", "resnet101", "resnet152v2",
                *(f"efficientnet_b{i}" for i in range(8)))  # fmt: skip
SLOW = {
    "test_training.py::test_tiny_ferplus_run_learns_the_fixture",
    "test_training.py::test_resume_reproduces_the_next_epoch_exactly",
    "test_training.py::test_progress_checkpoints_and_resume",
    "test_training.py::test_early_stopping",
    "test_training.py::test_evaluate_a_7_class_model_on_8_class_data",
    "test_training.py::test_resume_refuses_other_data",
    "test_tasks.py::test_keypoint_task_trains_and_the_checkpoint_predicts_keypoints",
    "test_tasks.py::test_a_landmark_model_trains_on_68_point_data_with_gaps",
    "test_tasks.py::test_freeze_backbone_then_fine_tune",
    "test_tasks.py::test_va_task_monitors_ccc_and_records_annotated_labels",
    "test_tasks.py::test_both_task_reports_emotion_and_va",
    "test_distributed.py::test_two_process_ddp_run_writes_one_set_of_checkpoints",
    "test_landmarks.py::test_fan_loads_from_the_torch_hub_cache",
    "test_quantize.py::test_quantize_command_checks_then_writes",
    "test_cli.py::test_train_then_evaluate_from_the_command_line",
    "test_models.py::test_inception_v3_upsamples_inputs_under_75_px",
    *(f"test_models.py::test_forward_backward_at_smallest_size[{name}]" for name in _HEAVY_ARCHS),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        name = f"{item.path.name}::{item.name}"
        if name in SLOW or f"{item.path.name}::{item.originalname}" in SLOW:
            item.add_marker(pytest.mark.slow)
