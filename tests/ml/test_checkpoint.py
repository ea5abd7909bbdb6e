import numpy as np
import pytest
import torch

from ml.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from ml.models import create_model
from ml.taxonomy import FER2013_7


def _checkpoint(model, **extra):
    return Checkpoint(
        arch="vgg_fer", label_set=FER2013_7, input_size=48, in_chans=1, mean=[0.5], std=[0.25],
        state_dict=model.state_dict(), config={"epochs": 3, "lr": 0.001}, metrics={"accuracy": 0.5},
        data_fingerprint="abc123", epoch=3, **extra,
    )  # fmt: skip


def test_round_trip_restores_metadata_and_predictions(tmp_path):
    torch.manual_seed(0)
    model = create_model("vgg_fer", num_classes=7).eval()
    path = save_checkpoint(tmp_path / "m.pt", _checkpoint(model))
    loaded = load_checkpoint(path)
    assert loaded.arch == "vgg_fer" and loaded.label_set == FER2013_7
    assert (loaded.input_size, loaded.in_chans, loaded.mean, loaded.std) == (48, 1, [0.5], [0.25])
    assert loaded.config == {"epochs": 3, "lr": 0.001} and loaded.metrics == {"accuracy": 0.5}
    assert loaded.data_fingerprint == "abc123" and loaded.epoch == 3 and loaded.created_at
    images = np.random.default_rng(0).integers(0, 255, (4, 48, 48), dtype=np.uint8)
    x = loaded.preprocess(images)
    assert x.shape == (4, 1, 48, 48)
    rebuilt = loaded.build_model()
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x).logits, model(x).logits)
        torch.testing.assert_close(rebuilt(x).va, model(x).va)


def test_training_state_is_optional(tmp_path):
    model = create_model("vgg_fer", num_classes=7)
    ckpt = _checkpoint(model, training_state={"epoch": 3, "history": [{"accuracy": 0.5}]})
    assert load_checkpoint(save_checkpoint(tmp_path / "a.pt", ckpt)).training_state["epoch"] == 3
    slim = save_checkpoint(tmp_path / "b.pt", ckpt, include_training_state=False)
    assert load_checkpoint(slim).training_state is None


def test_describe_is_json_ready(tmp_path):
    import json

    info = _checkpoint(create_model("vgg_fer", num_classes=7)).describe()
    assert json.loads(json.dumps(info))["label_set"]["classes"][0] == "neutral"


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "missing.pt")
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an ml checkpoint"):
        load_checkpoint(tmp_path / "other.pt")


def test_files_from_before_tasks_still_load(tmp_path):
    """Checkpoints written before `task` and `num_keypoints` existed load as emotion models."""
    model = create_model("vgg_fer", num_classes=7, va_head=True)
    old = {
        "format_version": 1, "arch": "vgg_fer", "label_set": FER2013_7.to_dict(), "input_size": 48, "in_chans": 1,
        "mean": [0.5], "std": [0.25], "va_head": True, "config": {"arch": "vgg_fer", "monitor": "accuracy"},
        "state_dict": model.state_dict(),
    }  # fmt: skip
    torch.save(old, tmp_path / "old.pt")
    ckpt = load_checkpoint(tmp_path / "old.pt")
    assert ckpt.task == "emotion" and ckpt.num_keypoints == 0
    assert ckpt.build_model()(torch.zeros(1, 1, 48, 48)).keypoints is None
