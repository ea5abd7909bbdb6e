"""Class-folder trees and zips: `<root>/[<split>/]<class>/*.jpg` (e.g. Kaggle's fer2013/train/angry/)."""

from __future__ import annotations

import numpy as np

from ml.data.faceset import FaceSet
from ml.data.source import DatasetError, FileTree, decode_image, fit_size, is_image
from ml.taxonomy import EMOTION_INDEX, canonical_name, label_set_for


def read_class_folders(path: str, split: str | None = None, size: int = 48, channels: int = 1) -> FaceSet:
    """Read every image under class folders; folder names map through `canonical_name`."""
    tree = FileTree(path)
    root = _find_root(tree, split)
    class_dirs = tree.dirs(root)
    if not class_dirs:
        raise DatasetError(f"{path}: no class folders under {root or 'the top level'}")
    mapping = {d: canonical_name(d) for d in class_dirs}  # raises UnknownLabelError naming the folder
    per_class: dict[str, list[str]] = {}
    for folder, emotion in mapping.items():
        files = [f for f in tree.files(f"{root}/{folder}" if root else folder) if is_image(f)]
        per_class.setdefault(emotion, []).extend(files)
    empty = sorted(f for f, e in mapping.items() if not per_class[e])
    if empty:
        raise DatasetError(f"{path}: class folders without images: {empty}")
    label_set = label_set_for(per_class)
    images, labels, names = [], [], []
    for emotion in sorted(per_class, key=EMOTION_INDEX.__getitem__):
        for name in per_class[emotion]:
            images.append(fit_size(decode_image(tree.read(name), channels, name), size))
            labels.append(label_set.index(emotion))
            names.append(name)
    return FaceSet(
        images=np.stack(images),
        labels=np.array(labels, dtype=np.int64),
        label_set=label_set,
        names=names,
        source=f"folders:{path}:{root}",
        notes={"folders": mapping},
    )


def _find_root(tree: FileTree, split: str | None) -> str:
    """The folder whose children are class folders: `split` if given, else the top (skipping a lone wrapper)."""
    if split is not None:
        root = tree.find_dir(split)
        if root is None:
            raise DatasetError(f"{tree.path}: no folder named {split!r}")
        return root
    root = ""
    while True:
        dirs = tree.dirs(root)
        loose = [f for f in tree.files(root) if "/" not in f[len(root) + 1 if root else 0 :]]
        if len(dirs) == 1 and not any(is_image(f) for f in loose):
            try:
                canonical_name(dirs[0])
                return root
            except ValueError:
                root = f"{root}/{dirs[0]}" if root else dirs[0]
                continue
        return root
