"""The seeded split of an AffectNet-layout CSV by image file (ml/data/file_split.py)."""

from pathlib import Path

import pytest

from ml.data import load_faceset
from ml.data.file_split import main, split_files, write_split

DIFFUSIONFER = Path(__file__).resolve().parents[1] / "fixtures" / "datasets" / "diffusionfer_small"


def test_split_files_is_seeded_disjoint_and_independent_of_order():
    files = [f"f{i}.jpg" for i in range(50)]
    kept, held = split_files(files, 0.2, seed=0)
    assert len(held) == 10 and kept.isdisjoint(held) and kept | held == set(files)
    assert split_files(list(reversed(files)) + files[:5], 0.2, seed=0) == (kept, held)  # repeats: one file
    assert split_files(files, 0.2, seed=1)[1] != held
    with pytest.raises(ValueError, match="fraction"):
        split_files(files, 1.0, seed=0)


def test_write_split_gives_two_readable_csvs_with_their_images(tmp_path):
    counts = write_split(str(DIFFUSIONFER), str(tmp_path / "out"), fraction=0.4, seed=0)
    # 5 rows over 4 files (the happy face has two rows): 2 files held out
    assert counts["files_train"] + counts["files_val"] == 4 and counts["files_val"] == 2
    assert counts["train"] + counts["val"] == 5
    train = load_faceset(str(tmp_path / "out" / "train.csv"), size=32, channels=3)
    val = load_faceset(str(tmp_path / "out" / "val.csv"), size=32, channels=3)
    assert set(train.names).isdisjoint(val.names) and len(train) + len(val) == 4  # the V/A-less row is dropped
    assert main([str(DIFFUSIONFER), "--out", str(tmp_path / "again"), "--fraction", "0.4"]) == 0
    assert (tmp_path / "again" / "val.csv").read_text() == (tmp_path / "out" / "val.csv").read_text()
