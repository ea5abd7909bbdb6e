"""int8 trunks: close to the float network, stored as plain tensors, refused when they cost accuracy."""

import json

import pytest
import torch

from ml.__main__ import main
from ml.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from ml.models import create_model
from ml.models.quantize import quantize_state, quantized_model
from ml.taxonomy import FER2013_7
from tests.ml.test_inference_model import _trained_looking


def _checkpoint(arch="vgg_fer_fast") -> Checkpoint:
    model = _trained_looking(create_model(arch, num_classes=7))
    return Checkpoint(
        arch=arch, label_set=FER2013_7, input_size=48, in_chans=1, mean=[0.5], std=[0.25],
        state_dict=model.state_dict(),
    )  # fmt: skip


def _inputs(n: int, seed: int) -> torch.Tensor:
    return torch.randn(n, 1, 48, 48, generator=torch.Generator().manual_seed(seed))


def test_int8_logits_stay_close_to_float():
    model = _checkpoint().build_model()
    fast = quantized_model(model, quantize_state(model, _inputs(128, 0)))
    x = _inputs(32, 1)  # not the calibration crops
    with torch.no_grad():
        expected, got = model(x).logits, fast(x).logits
    spread = expected.max() - expected.min()
    assert (got - expected).abs().max() < 0.05 * spread
    assert any(type(m).__module__.startswith("torch.ao.nn.quantized") for m in fast.modules())


def test_int8_weights_survive_a_checkpoint_round_trip(tmp_path):
    ckpt = _checkpoint()
    ckpt.int8 = quantize_state(ckpt.build_model(), _inputs(64, 0))
    path = save_checkpoint(tmp_path / "m.pt", ckpt)
    payload = torch.load(path, weights_only=True)  # plain tensors only, no pickled module
    loaded = load_checkpoint(path)
    x = _inputs(8, 2)
    with torch.no_grad():
        expected = ckpt.inference_model(int8=True)(x).logits
        torch.testing.assert_close(loaded.inference_model(int8=True)(x).logits, expected)
    assert payload["int8"]["engine"] == "onednn" and loaded.describe()["int8"]["calibration_items"] == 64
    assert "state_dict" not in loaded.describe()["int8"]


def test_asking_for_int8_weights_a_checkpoint_lacks_is_a_clear_error():
    with pytest.raises(ValueError, match="no int8 weights.*python -m ml quantize"):
        _checkpoint().inference_model(int8=True)


def test_quantize_command_checks_then_writes(tmp_path, fer2013_dir, capsys):
    source = save_checkpoint(tmp_path / "m.pt", _checkpoint())
    out = tmp_path / "int8.pt"
    args = ["quantize", str(source), "--data", str(fer2013_dir), "--calibration-split", "train", "--check-split", "val"]
    assert main([*args, "--out", str(out), "--max-accuracy-drop", "1"]) == 0
    figures = json.loads(capsys.readouterr().out.split("\nint8 weights written")[0])
    assert figures["items"] > 0 and 0 <= figures["agreement"] <= 1
    assert load_checkpoint(out).int8["check"] == figures and load_checkpoint(source).int8 is None
    assert main(["evaluate", str(out), "--data", str(fer2013_dir), "--split", "val", "--int8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["num_items"] == figures["items"]
    # A limit below any possible drop (negative) refuses, and writes nothing.
    refused = tmp_path / "refused.pt"
    assert main([*args, "--out", str(refused), "--max-accuracy-drop", "-1"]) == 3
    assert not refused.exists()
