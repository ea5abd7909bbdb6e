"""Read files the same way from a folder tree or a zip archive (datasets are shipped as both)."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

import cv2
import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


class DatasetError(ValueError):
    """The data on disk is missing or not in the layout a reader expects."""


class FileTree:
    """A read-only view of a directory or a .zip: relative POSIX paths -> bytes."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise DatasetError(f"dataset path does not exist: {self.path}")
        self._zip = zipfile.ZipFile(self.path) if self.path.is_file() and zipfile.is_zipfile(self.path) else None
        if self._zip is None and not self.path.is_dir():
            raise DatasetError(f"expected a folder or a .zip archive, got file {self.path}")
        if self._zip is not None:
            self._files = sorted(n for n in self._zip.namelist() if not n.endswith("/"))
        else:
            self._files = sorted(p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file())

    def files(self, under: str = "") -> list[str]:
        """All file paths (sorted) below a folder prefix."""
        prefix = under.strip("/") + "/" if under.strip("/") else ""
        return [f for f in self._files if f.startswith(prefix)]

    def dirs(self, under: str = "") -> list[str]:
        """Immediate sub-folder names of a folder."""
        prefix = under.strip("/") + "/" if under.strip("/") else ""
        names = {f[len(prefix) :].split("/", 1)[0] for f in self.files(under) if "/" in f[len(prefix) :]}
        return sorted(names)

    def exists(self, name: str) -> bool:
        return name in set(self._files)

    def read(self, name: str) -> bytes:
        if self._zip is not None:
            try:
                return self._zip.read(name)
            except KeyError:
                raise DatasetError(f"{name} not found in {self.path}") from None
        file = self.path / name
        if not file.is_file():
            raise DatasetError(f"file not found: {file}")
        return file.read_bytes()

    def find_dir(self, name: str) -> str | None:
        """The shallowest folder called `name` (e.g. a split "train" under an archive's top folder)."""
        candidates = {
            str(PurePosixPath(*parts[: i + 1]))
            for f in self._files
            for parts in [PurePosixPath(f).parts[:-1]]
            for i, part in enumerate(parts)
            if part == name
        }
        return min(candidates, key=lambda c: (c.count("/"), c)) if candidates else None


def is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES)


def decode_image(data: bytes, channels: int, name: str = "image") -> np.ndarray:
    """Decode image bytes to uint8 HxW (channels=1) or HxWx3 RGB (channels=3)."""
    flag = cv2.IMREAD_GRAYSCALE if channels == 1 else cv2.IMREAD_COLOR
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
    if image is None:
        raise DatasetError(f"cannot decode image {name}")
    return image if channels == 1 else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def fit_size(image: np.ndarray, size: int) -> np.ndarray:
    """Resize a face crop to size x size (area interpolation when shrinking)."""
    if image.shape[0] == size and image.shape[1] == size:
        return image
    interp = cv2.INTER_AREA if image.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(image, (size, size), interpolation=interp)
