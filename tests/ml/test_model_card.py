"""Model cards (bench/bench_accuracy.py) say only what the checkpoint and its run record."""

import argparse
import importlib.util
from pathlib import Path

import pytest

from ml.checkpoint import load_checkpoint, save_checkpoint
from tests.checkpoints import write_tiny_checkpoint

_SPEC = importlib.util.spec_from_file_location("bench_accuracy", Path(__file__).parents[2] / "bench/bench_accuracy.py")
bench_accuracy = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench_accuracy)

REPORT = {
    "accuracy": 0.7, "macro_f1": 0.6, "weighted_f1": 0.65, "ece": 0.05, "nll": 0.9, "num_items": 10,
    "items_dropped": 0, "per_class": {"happy": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 10}},
}  # fmt: skip
HISTORY = [
    {"epoch": e, "accuracy": 0.5 + e / 100, "precision": "bfloat16 autocast, channels_last on cpu"} for e in range(1, 9)
]


def _card(tmp_path, va_labels=None, split="val", config=None, history=None, notes="", metrics_extra=None):
    path = write_tiny_checkpoint(tmp_path / "m.pt", arch="vgg_fer")
    ckpt = load_checkpoint(path)
    ckpt.config = {"arch": "vgg_fer", "data": "/d", "train_split": "train", "val_split": "val", "epochs": 8,
                   "task": "emotion", **(config or {})}  # fmt: skip
    if va_labels:
        ckpt.metrics["va_labels"] = va_labels
    ckpt.metrics.update(metrics_extra or {})
    save_checkpoint(path, ckpt)
    args = argparse.Namespace(checkpoint=str(path), data="/d", split=split, png=None, flip_tta=False, title="T")
    return bench_accuracy.model_card(args, load_checkpoint(path), REPORT, 1.0, history, notes)


@pytest.mark.parametrize(
    ("va_labels", "expected"),
    [
        ("derived", "derived from the label distribution"),
        ("annotated", "trained on the annotated valence/arousal of `/d` (task `emotion`)"),
        (None, "does not record whether its V/A targets were annotated or derived"),
    ],
)
def test_the_va_sentence_comes_from_the_checkpoint(tmp_path, va_labels, expected):
    card = _card(tmp_path, va_labels)
    assert "Valence/arousal head: yes; " in card and expected in card
    if va_labels != "derived":
        assert "derived from the label distribution" not in card


def test_the_test_split_sentence_comes_from_the_run_config(tmp_path):
    assert "no test split was read, here or in training" in _card(tmp_path, split="val")
    private = _card(tmp_path, split="PrivateTest")
    assert "the test split `PrivateTest` evaluated here was not read in training" in private
    trained_on_test = _card(tmp_path, config={"val_split": "test"}, split="test")
    assert "one of which is a test split" in trained_on_test and "not read" not in trained_on_test
    held_out = _card(tmp_path, config={"val_split": None, "val_fraction": 0.1, "seed": 3}, split="val")
    assert "a stratified 0.1 of the training data held out (seed 3)" in held_out


def test_the_run_section_and_notes_are_included_when_given(tmp_path):
    card = _card(tmp_path, history=HISTORY, notes="Hand-written context.\n")
    assert "- Epochs run: 8 of 8 planned." in card and "best 0.5800" in card
    assert "Training steps ran in: bfloat16 autocast, channels_last on cpu; validation in float32." in card
    assert "## Notes\n\nHand-written context.\n" in card
    plain = _card(tmp_path)
    assert "## The run" not in plain and "## Notes" not in plain


def test_a_grafted_va_head_says_what_it_learned_on(tmp_path):
    graft = {"data": "/d/train.csv", "val_data": "/d/val.csv", "metrics": {"va_ccc": 0.868}}
    card = _card(tmp_path, "annotated", metrics_extra={"va_learned_on": "synthetic faces", "va_graft": graft})
    assert "Valence/arousal head: yes; learned on synthetic faces: " in card
    assert "`/d/train.csv` over this network's frozen trunk" in card and "V/A CCC 0.868 on `/d/val.csv`" in card
