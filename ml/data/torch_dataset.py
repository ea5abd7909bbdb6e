"""A torch `Dataset` view of a FaceSet, for code that wants a DataLoader."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch.utils.data import Dataset

from ml.data.faceset import FaceSet
from ml.data.transforms import preprocess


class FaceTensorDataset(Dataset):
    """Items are (image (C, H, W) normalised float, {"label", "target", "va"})."""

    def __init__(
        self,
        faces: FaceSet,
        mean: Sequence[float],
        std: Sequence[float],
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ):
        self.faces = faces
        self.mean, self.std = list(mean), list(std)
        self.transform = transform
        self._targets = torch.from_numpy(faces.targets())
        self._va = torch.from_numpy(faces.va_targets())

    def __len__(self) -> int:
        return len(self.faces)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        image = preprocess(self.faces.images[index : index + 1], self.mean, self.std)[0]
        if self.transform is not None:
            image = self.transform(image)
        label = torch.tensor(int(self.faces.labels[index]))
        return image, {"label": label, "target": self._targets[index], "va": self._va[index]}
