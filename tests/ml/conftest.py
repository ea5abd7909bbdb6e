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
