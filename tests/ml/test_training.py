import json
import shutil

import numpy as np
import pytest
import torch

from ml.checkpoint import load_checkpoint
from ml.evaluation.evaluate import evaluate_checkpoint
from ml.taxonomy import AFFECTNET8, FER2013_7
from ml.training import TrainConfig, loop, train
from ml.training.losses import class_weights, soft_cross_entropy
from tests.ml.conftest import write_class_folders


def _config(tmp_path, data, **overrides):
    base = dict(arch="vgg_fer", data=str(data), out_dir=str(tmp_path / "run"), epochs=2, batch_size=16, seed=0,
                num_threads=2, log_every=1)  # fmt: skip
    return TrainConfig(**{**base, **overrides})


def test_tiny_ferplus_run_learns_the_fixture(tmp_path, ferplus_dir):
    """40 real FER+ faces, vote distributions as targets: the net must fit them far above chance (1/8)."""
    config = _config(tmp_path, ferplus_dir, train_split="FER2013Train", val_split="FER2013Train",
                     epochs=20, batch_size=8, lr=1e-3, weight_decay=0.0, augment=False, patience=20)  # fmt: skip
    result = train(config)
    first, best = result.history[0], result.best_metrics
    assert best["accuracy"] >= 0.6 > first["accuracy"]  # chance is 1/8
    assert result.history[-1]["train_loss"] < first["train_loss"]
    ckpt = load_checkpoint(result.best_checkpoint)
    assert ckpt.label_set == AFFECTNET8 and ckpt.config["label_mode"] == "auto"
    assert ckpt.metrics["accuracy"] == best["accuracy"] and ckpt.training_state is None


def test_progress_checkpoints_and_resume(tmp_path, fer2013_dir):
    calls = []
    config = _config(tmp_path, fer2013_dir, train_split="train", val_split="val", epochs=2)
    first = train(config, progress=lambda **kw: calls.append(kw))
    assert set(calls[0]) == {"epoch", "step", "loss", "metrics", "eta"}
    epoch_ends = [c for c in calls if c["metrics"]]
    assert [c["epoch"] for c in epoch_ends] == [1, 2] and "macro_f1" in epoch_ends[0]["metrics"]
    assert epoch_ends[-1]["eta"] == pytest.approx(0.0)
    last = load_checkpoint(first.last_checkpoint)
    assert last.label_set == FER2013_7 and last.epoch == 2 and last.training_state["epoch"] == 2
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2]

    config.epochs, config.resume = 3, True
    resumed = train(config)
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3]
    assert resumed.history[:2] == first.history


class _Stop(Exception):
    pass


def _stop_after_epoch(epoch):
    def progress(**kw):
        if kw["metrics"] and kw["epoch"] == epoch:
            raise _Stop  # after last.pt of that epoch is written, as when a worker dies

    return progress


def test_resume_reproduces_the_next_epoch_exactly(tmp_path, fer2013_dir, monkeypatch):
    """2 epochs straight vs 1 epoch, stop, resume: same epoch-2 loss (dropout, augmentation, order, LR)."""
    config = _config(tmp_path, fer2013_dir, train_split="train", val_split="val", epochs=2, batch_size=8,
                     augment_preset="strong", input_size=32, out_dir=str(tmp_path / "straight"))  # fmt: skip
    straight = train(config).history

    config.out_dir = str(tmp_path / "resumed")
    with pytest.raises(_Stop):
        train(config, progress=_stop_after_epoch(1))
    shutil.copytree(tmp_path / "resumed", tmp_path / "without_rng")
    config.resume = True
    resumed = train(config).history
    assert [h["epoch"] for h in resumed] == [1, 2] and resumed[0] == straight[0]
    assert resumed[1]["train_loss"] == pytest.approx(straight[1]["train_loss"], abs=1e-6)
    assert resumed[1]["lr"] == straight[1]["lr"] and resumed[1]["nll"] == pytest.approx(straight[1]["nll"], abs=1e-6)

    # The same resume without putting the RNG states back draws other dropout masks: the check above can fail.
    monkeypatch.setattr(loop, "restore_rng_state", lambda state: None)
    config.out_dir = str(tmp_path / "without_rng")
    unrestored = train(config).history
    assert abs(unrestored[1]["train_loss"] - straight[1]["train_loss"]) > 1e-4


def test_resume_refuses_other_data(tmp_path, fer2013_dir, ferplus_dir):
    train(_config(tmp_path, fer2013_dir, train_split="train", val_split="val", epochs=1))
    other = _config(tmp_path, ferplus_dir, train_split="FER2013Train", val_split="FER2013Valid", resume=True)
    with pytest.raises(ValueError, match="different data"):
        train(other)


@pytest.mark.parametrize(("imbalance", "optimizer"), [("loss", "sgd"), ("sampler", "adam")])
def test_imbalance_options_and_holdout_split(tmp_path, fer2013_dir, imbalance, optimizer):
    config = _config(tmp_path, fer2013_dir, train_split="train", val_fraction=0.2, epochs=1,
                     imbalance=imbalance, optimizer=optimizer, lr=0.01, monitor="macro_f1")  # fmt: skip
    result = train(config)
    assert result.best_metrics["epoch"] == 1 and 0 <= result.best_metrics["macro_f1"] <= 1
    # The hold-out is 20% of each class (1 of 5 faces), disjoint from what is trained on, and the
    # same on every run (what resume's data check relies on). What the imbalance options change is
    # shown by test_imbalance_options_change_what_the_loop_draws_and_weighs below.
    kept, held = loop.load_data(config)
    assert (len(kept), len(held)) == (28, 7) and sorted(held.class_counts().values()) == [1] * 7
    assert not set(map(bytes, kept.images)) & set(map(bytes, held.images))
    assert held.fingerprint() == loop.load_data(config)[1].fingerprint()


@pytest.mark.parametrize("imbalance", ["none", "sampler", "loss"])
def test_imbalance_options_change_what_the_loop_draws_and_weighs(tmp_path, imbalance, monkeypatch):
    """On 24 happy and 4+4 rare faces: the sampler draws the rare classes about as often as happy (2/3 of
    the draws, against 1/4 of the data), and loss weighting gives each rare face more weight than a happy one."""
    data = write_class_folders(tmp_path / "data" / "train", {"happy": 24, "sad": 4, "angry": 4})
    seen = {}
    real_order, real_tensors = loop.epoch_order, loop.training_tensors

    def spy_tensors(*args, **kwargs):
        seen["data"] = real_tensors(*args, **kwargs)
        return seen["data"]

    def spy_order(*args, **kwargs):
        seen.setdefault("orders", []).append(real_order(*args, **kwargs))
        return seen["orders"][-1]

    monkeypatch.setattr(loop, "training_tensors", spy_tensors)
    monkeypatch.setattr(loop, "epoch_order", spy_order)
    train(_config(tmp_path, data.parent, arch="vgg_fer_fast", train_split="train", val_fraction=0.25, epochs=2,
                  batch_size=8, imbalance=imbalance, imbalance_power=1.0))  # fmt: skip

    labels = seen["data"].targets.argmax(1)
    happy = int(labels.bincount().argmax())
    drawn = labels[torch.cat(seen["orders"])]
    rare_share = float((drawn != happy).float().mean())
    assert float((labels != happy).float().mean()) == pytest.approx(0.25, abs=0.05)
    if imbalance == "sampler":
        assert rare_share > 0.45  # 2/3 expected; 48 seeded draws
    else:
        assert rare_share == pytest.approx(0.25, abs=0.05)  # every face once per epoch
    weights = seen["data"].loss_weights
    if imbalance == "loss":
        rare = [c for c in labels.unique().tolist() if c != happy]
        assert all(weights[c] > 2 * weights[happy] for c in rare)
    else:
        assert weights is None


def test_early_stopping(tmp_path, fer2013_dir):
    config = _config(tmp_path, fer2013_dir, train_split="train", val_split="val", epochs=6, lr=1e-9, patience=1)
    result = train(config)
    assert result.stopped_early and len(result.history) == 2


def test_distribution_mode_needs_votes(tmp_path, fer2013_dir):
    with pytest.raises(ValueError, match="needs vote data"):
        train(_config(tmp_path, fer2013_dir, train_split="train", label_mode="distribution"))


def test_bad_config_values(tmp_path, fer2013_dir):
    with pytest.raises(ValueError, match="imbalance must be one of"):
        train(_config(tmp_path, fer2013_dir, imbalance="oversample"))


def test_evaluate_a_7_class_model_on_8_class_data(tmp_path, fer2013_dir, ferplus_dir):
    result = train(_config(tmp_path, fer2013_dir, train_split="train", val_split="val", epochs=1))
    evaluation = evaluate_checkpoint(result.best_checkpoint, str(ferplus_dir), "FER2013Valid",
                                     confusion_png=tmp_path / "cm.png")  # fmt: skip
    assert evaluation.items_dropped == 1  # the contempt face has no class in FER-2013's label set
    assert evaluation.report.num_items == 7 and (tmp_path / "cm.png").is_file()


def test_soft_cross_entropy_equals_cross_entropy_for_one_hot():
    logits = torch.randn(5, 8)
    labels = torch.tensor([0, 3, 7, 1, 1])
    one_hot = torch.eye(8)[labels]
    torch.testing.assert_close(soft_cross_entropy(logits, one_hot), torch.nn.functional.cross_entropy(logits, labels))
    weights = torch.rand(8)
    torch.testing.assert_close(
        soft_cross_entropy(logits, one_hot, weights),
        torch.nn.functional.cross_entropy(logits, labels, weight=weights),
    )


def test_class_weights_favour_rare_classes():
    weights = class_weights(np.array([0] * 90 + [1] * 10), 3, power=1.0)
    assert weights[1] > weights[0] and weights[2] == 0 and weights[:2].mean() == pytest.approx(1.0)
