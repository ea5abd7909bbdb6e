"""Dataset readers: every format becomes a `FaceSet` of in-memory crops with canonical labels."""

from __future__ import annotations

from pathlib import Path

from ml.data.affectnet import find_affectnet_csv, is_affectnet_header, read_affectnet
from ml.data.faceset import FaceSet, stratified_split
from ml.data.facial_keypoints import is_keypoints_header, read_facial_keypoints, sniff_header
from ml.data.fer2013_csv import read_fer2013_csv
from ml.data.ferplus import is_ferplus, parse_label_csv, read_ferplus
from ml.data.folders import read_class_folders
from ml.data.source import DatasetError, FileTree
from ml.data.torch_dataset import FaceTensorDataset

__all__ = [
    "DatasetError",
    "FaceSet",
    "FaceTensorDataset",
    "load_faceset",
    "parse_label_csv",
    "read_affectnet",
    "read_class_folders",
    "read_facial_keypoints",
    "read_fer2013_csv",
    "read_ferplus",
    "stratified_split",
]


def load_faceset(path: str, split: str | None = None, size: int = 48, channels: int = 1) -> FaceSet:
    """Detect the layout and read it: a CSV (FER-2013, AffectNet or facial keypoints, told apart by
    the header), FER+ label.csv, an AffectNet CSV with its images, or class folders; folder or zip.

    `split` names a sub-folder ("train", "FER2013Valid") or, for the FER-2013 CSV, a Usage ("PublicTest").
    """
    if not Path(path).exists():
        raise DatasetError(f"dataset path does not exist: {path}")
    if str(path).lower().endswith(".csv"):
        header = sniff_header(path)
        if is_affectnet_header(header):
            return read_affectnet(path, size=size, channels=channels)
        if is_keypoints_header(header):
            return read_facial_keypoints(path, size=size, channels=channels)
        return read_fer2013_csv(path, usage=split or "Training", size=size, channels=channels)
    if split is None and find_affectnet_csv(FileTree(path)) is not None:
        return read_affectnet(path, size=size, channels=channels)
    if is_ferplus(path, split):
        return read_ferplus(path, split=split, size=size, channels=channels)
    return read_class_folders(path, split=split, size=size, channels=channels)
