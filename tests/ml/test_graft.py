"""Grafting a frozen-backbone run's V/A head into its base checkpoint (ml/training/graft.py, `ml graft-va`)."""

import pytest
import torch

from ml.__main__ import main
from ml.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from ml.models import create_model
from ml.taxonomy import AFFECTNET8
from ml.training.graft import graft_va_head


def _checkpoint(seed: int, metrics: dict | None = None) -> Checkpoint:
    torch.manual_seed(seed)
    model = create_model("vgg_fer_fast", num_classes=8)
    return Checkpoint(
        arch="vgg_fer_fast", label_set=AFFECTNET8, input_size=48, in_chans=1, mean=[0.5], std=[0.25],
        state_dict={k: v.clone() for k, v in model.state_dict().items()}, config={"data": "ferplus"},
        metrics=metrics or {"accuracy": 0.85, "va_labels": "derived", "va_ccc": 0.5}, int8={"engine": "onednn"},
    )  # fmt: skip


def _donor_of(base: Checkpoint) -> Checkpoint:
    """What a `--task va` run from `base` with a frozen backbone leaves: new V/A head, drifted BN statistics."""
    state = {k: v.clone() for k, v in base.state_dict.items()}
    state["va_head.weight"] += 1.0
    running = next(k for k in state if k.endswith("running_mean"))
    state[running] += 0.1
    state["head.weight"] += 2.0  # the donor's emotion head is never taken
    metrics = {"va_labels": "annotated", "va_ccc": 0.86, "valence_ccc": 0.85}
    return Checkpoint(**{**base.__dict__, "state_dict": state, "metrics": metrics, "config": {"data": "dfer.csv"}})


def test_the_graft_takes_the_donors_va_head_and_nothing_else():
    base = _checkpoint(0)
    grafted = graft_va_head(base, _donor_of(base), "synthetic faces")
    donor = _donor_of(base)
    for name, tensor in grafted.state_dict.items():
        expected = donor.state_dict[name] if name.startswith("va_head.") else base.state_dict[name]
        assert torch.equal(tensor, expected), name
    assert grafted.int8 is base.int8 and grafted.metrics["accuracy"] == 0.85  # emotion figures stay the base's
    assert grafted.va_learned and grafted.va_learned_on == "synthetic faces"
    assert "va_ccc" not in grafted.metrics  # the base's derived-V/A figures no longer describe the head
    assert grafted.metrics["va_graft"]["metrics"] == {"va_ccc": 0.86, "valence_ccc": 0.85}
    assert not base.va_learned and base.va_learned_on is None


def test_a_donor_whose_backbone_trained_is_refused():
    base = _checkpoint(0)
    with pytest.raises(ValueError, match="backbone differs .* frozen"):
        graft_va_head(base, _donor_of(_checkpoint(1)), "synthetic faces")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda donor: donor.metrics.update(va_labels="derived"), "not trained on annotated"),
        (lambda donor: setattr(donor, "input_size", 64), "input size"),
        (lambda donor: setattr(donor, "va_head", False), "both checkpoints need"),
    ],
)
def test_donors_that_cannot_say_what_they_learned_are_refused(edit, message):
    base = _checkpoint(0)
    donor = _donor_of(base)
    edit(donor)
    with pytest.raises(ValueError, match=message):
        graft_va_head(base, donor, "synthetic faces")
    with pytest.raises(ValueError, match="say what"):
        graft_va_head(base, _donor_of(base), "  ")


def test_the_command_writes_the_graft_and_refuses_a_wrong_donor(tmp_path, capsys):
    base = _checkpoint(0)
    save_checkpoint(tmp_path / "base.pt", base)
    save_checkpoint(tmp_path / "donor.pt", _donor_of(base))
    save_checkpoint(tmp_path / "other.pt", _donor_of(_checkpoint(1)))
    out = tmp_path / "grafted.pt"
    args = ["graft-va", str(tmp_path / "base.pt"), str(tmp_path / "donor.pt"), "--learned-on", "synthetic faces"]
    assert main([*args, "--out", str(out)]) == 0
    assert load_checkpoint(out).va_learned_on == "synthetic faces"
    wrong = ["graft-va", str(tmp_path / "base.pt"), str(tmp_path / "other.pt"), "--learned-on", "x"]
    assert main([*wrong, "--out", str(tmp_path / "no.pt")]) == 2
    assert "backbone differs" in capsys.readouterr().err and not (tmp_path / "no.pt").exists()
