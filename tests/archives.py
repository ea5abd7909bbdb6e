"""Building dataset archives for tests from the committed fixtures under tests/fixtures/datasets."""

from __future__ import annotations

import zipfile
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "datasets"
FER2013_SMALL = FIXTURES / "fer2013_small"  # 7 classes: 2 train + 1 val real FER-2013 faces each
FERPLUS_SMALL = FIXTURES / "ferplus_small"  # 19 FER+ valid faces with their real 10-tagger votes


def zip_folder(folder: Path, destination: Path, prefix: str = "", extra: dict[str, bytes] | None = None) -> Path:
    """Zip every file under `folder` (paths relative to it, under `prefix`), plus `extra` members."""
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return destination


def fer2013_csv(destination: Path, rows: list[tuple[str, str, str]] | None = None) -> Path:
    """A FER-2013 CSV: three valid rows made from fixture pixels, then any `rows` given."""
    import numpy as np
    from PIL import Image

    lines = ["emotion,pixels,Usage"]
    for code, path, usage in (
        (3, "train/happy", "Training"),
        (0, "train/angry", "PublicTest"),
        (6, "val/neutral", "PrivateTest"),
    ):
        image = next((FER2013_SMALL / path).glob("*.jpg"))
        pixels = " ".join(str(v) for v in np.asarray(Image.open(image).convert("L")).ravel())
        lines.append(f"{code},{pixels},{usage}")
    lines += [",".join(row) for row in rows or []]
    destination.write_text("\n".join(lines) + "\n")
    return destination
