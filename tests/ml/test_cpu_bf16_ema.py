"""CPU bfloat16 detection and its float32 fallback, the EMA of weights, batched random erasing, mixup/cutmix."""

import logging
import shutil

import pytest
import torch

from ml.checkpoint import load_checkpoint
from ml.data.photometric import random_erasing
from ml.data.presets import PRESETS
from ml.training import TrainConfig, loop, precision, train
from ml.training.ema import WeightAverage
from ml.training.mixing import draw_lambda, mix_batch


def _config(tmp_path, data, **overrides):
    base = dict(arch="vgg_fer", data=str(data), train_split="train", val_split="val", out_dir=str(tmp_path / "run"),
                epochs=1, batch_size=8, seed=0, num_threads=2, input_size=32, max_steps_per_epoch=3)  # fmt: skip
    return TrainConfig(**{**base, **overrides})


# --- CPU bfloat16 ---------------------------------------------------------------------------------


def test_cpu_bf16_detection_falls_back_to_cpuinfo_flags(monkeypatch):
    detect = precision.cpu_bf16_support.__wrapped__  # uncached
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        monkeypatch.setattr(torch.cpu, probe, lambda: False, raising=False)
    monkeypatch.setattr(precision, "_cpuinfo_flags", lambda: {"avx2", "amx_bf16"})
    assert detect() == (True, "CPU has amx_bf16")
    monkeypatch.setattr(precision, "_cpuinfo_flags", lambda: {"avx2", "avx512f"})
    supported, reason = detect()
    assert not supported and "neither avx512_bf16 nor amx_bf16" in reason
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: False)
    assert detect() == (False, "this torch build has no oneDNN (mkldnn), which CPU bfloat16 kernels need")


def test_a_cpu_without_native_bf16_trains_in_float32_and_logs_why(tmp_path, fer2013_dir, monkeypatch, caplog):
    """Forced fallback: the steps must run in float32 (no bf16 activations) and the log must say why."""
    monkeypatch.setattr(precision, "cpu_bf16_support", lambda: (False, "no bf16 here (test)"))
    dtypes = set()
    real_batch_loss = loop.batch_loss

    def spy(model, *args, **kwargs):
        handle = model.head.register_forward_hook(lambda m, a, out: dtypes.add(out.dtype))
        try:
            return real_batch_loss(model, *args, **kwargs)
        finally:
            handle.remove()

    monkeypatch.setattr(loop, "batch_loss", spy)
    with caplog.at_level(logging.INFO, logger="ml.training.loop"):
        result = train(_config(tmp_path, fer2013_dir))
    assert dtypes == {torch.float32} and result.history[0]["precision"] == "float32, channels_last on cpu"
    assert "bfloat16 not used on this CPU (no bf16 here (test)); training in float32" in caplog.text


def test_a_cpu_with_native_bf16_trains_under_bf16_autocast(tmp_path, fer2013_dir, monkeypatch, caplog):
    monkeypatch.setattr(precision, "cpu_bf16_support", lambda: (True, "CPU has amx_bf16"))
    dtypes = set()
    real_batch_loss = loop.batch_loss

    def spy(model, *args, **kwargs):
        handle = model.head.register_forward_hook(lambda m, a, out: dtypes.add(out.dtype))
        try:
            return real_batch_loss(model, *args, **kwargs)
        finally:
            handle.remove()

    monkeypatch.setattr(loop, "batch_loss", spy)
    with caplog.at_level(logging.INFO, logger="ml.training.loop"):
        result = train(_config(tmp_path, fer2013_dir))
    assert dtypes == {torch.bfloat16} and "CPU autocast to bfloat16 (CPU has amx_bf16)" in caplog.text
    assert result.history[0]["precision"] == "bfloat16 autocast, channels_last on cpu"
    assert all(t.dtype == torch.float32 for t in load_checkpoint(result.best_checkpoint).state_dict.values()
               if t.is_floating_point())  # fmt: skip


# --- EMA of weights -------------------------------------------------------------------------------


def test_weight_average_follows_the_decay_and_copies_integer_buffers():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    ema = WeightAverage(model, decay=0.5)
    start = model[0].weight.detach().clone()
    with torch.no_grad():
        model[0].weight.add_(1.0)
        model[1].num_batches_tracked.fill_(7)
    ema.update(model)  # step 0: decay min(0.5, 1/10) = 0.1 -> 90 % of the way to the new weights
    torch.testing.assert_close(ema.module[0].weight, start + 0.9)
    assert int(ema.module[1].num_batches_tracked) == 7 and ema.steps == 1
    assert not any(p.requires_grad for p in ema.module.parameters())
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(model, decay=1.0)


def test_an_ema_run_saves_the_average_and_resumes_exactly(tmp_path, fer2013_dir):
    """best/last hold the averaged weights (what was validated); a resumed run continues the same average."""
    config = _config(tmp_path, fer2013_dir, epochs=2, ema_decay=0.9, augment_preset="strong_erasing",
                     out_dir=str(tmp_path / "straight"))  # fmt: skip
    straight = train(config)
    last = load_checkpoint(straight.last_checkpoint)
    assert last.training_state["ema_steps"] == 6 and "raw_weights" in last.training_state
    raw, averaged = last.training_state["raw_weights"], last.state_dict
    assert any(not torch.equal(raw[k], averaged[k]) for k in raw if raw[k].is_floating_point())

    config.out_dir = str(tmp_path / "resumed")
    train(TrainConfig.from_dict({**config.to_dict(), "epochs": 1}))
    resumed = train(TrainConfig.from_dict({**config.to_dict(), "resume": True}))
    assert resumed.history[1]["train_loss"] == pytest.approx(straight.history[1]["train_loss"], abs=1e-6)
    assert resumed.history[1]["nll"] == pytest.approx(straight.history[1]["nll"], abs=1e-6)

    shutil.copy(tmp_path / "resumed" / "last.pt", tmp_path / "plain_last.pt")
    config.out_dir, config.ema_decay = str(tmp_path / "noema"), 0.0
    train(config)  # a run without EMA cannot be resumed with it
    with pytest.raises(ValueError, match="without EMA"):
        train(TrainConfig.from_dict({**config.to_dict(), "ema_decay": 0.9, "resume": True, "epochs": 3}))


# --- random erasing -------------------------------------------------------------------------------


def test_random_erasing_replaces_one_rectangle_on_the_chosen_share():
    batch = torch.full((400, 1, 32, 32), 0.5)
    out = random_erasing(batch, torch.Generator().manual_seed(0), probability=0.5, area=(0.1, 0.2))
    changed = (out != 0.5).flatten(1)
    erased = changed.any(dim=1)
    assert 0.4 < erased.float().mean() < 0.6  # about half the images
    share = changed[erased].float().mean(dim=1)
    assert share.min() > 0.05 and share.max() <= 0.21  # about 10-20 % of the pixels, clipped to the image
    rows = changed[erased].view(-1, 32, 32).any(dim=2)  # the erased rows of each image are contiguous
    assert all(r.nonzero().flatten().diff().eq(1).all() for r in rows)
    untouched = random_erasing(batch, torch.Generator(), probability=0.0, area=(0.1, 0.2))
    assert torch.equal(untouched, batch)
    assert "random erasing of 2-20% on 50% of images" in PRESETS["strong_erasing"].describe()


# --- mixup / cutmix -------------------------------------------------------------------------------


def _batch():
    g = torch.Generator().manual_seed(0)
    images = torch.rand(16, 1, 20, 20, generator=g)
    targets = torch.eye(4)[torch.arange(16) % 4]
    va = torch.rand(16, 2, generator=g)
    va[3] = float("nan")  # a row without annotated V/A
    return images, targets, va


def test_mixup_blends_images_targets_and_va_with_one_seeded_weight():
    images, targets, va = _batch()
    out, mixed, mixed_va = mix_batch(images, targets, va, torch.Generator().manual_seed(1), "mixup", 0.4)
    replay = torch.Generator().manual_seed(1)  # the same draws, in the order mix_batch makes them
    partner = torch.randperm(16, generator=replay)
    lam = draw_lambda(replay, 0.4)
    assert 0 < lam < 1
    torch.testing.assert_close(out, images * lam + images[partner] * (1 - lam))
    torch.testing.assert_close(mixed, targets * lam + targets[partner] * (1 - lam))
    torch.testing.assert_close(mixed.sum(dim=1), torch.ones(16))
    missing = torch.isnan(mixed_va).any(dim=1)  # a missing V/A stays missing wherever it is mixed in
    assert missing[3] and missing[(partner == 3).nonzero().item()]


def test_cutmix_pastes_one_box_and_weights_targets_by_its_area():
    images, targets, _ = _batch()
    out, mixed, _ = mix_batch(images, targets, None, torch.Generator().manual_seed(2), "cutmix", 1.0)
    changed = (out != images).any(dim=0).any(dim=0)  # (H, W): pixels pasted in some image
    rows, cols = changed.any(dim=1).nonzero().flatten(), changed.any(dim=0).nonzero().flatten()
    area = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1) / 400 if len(rows) else 0.0
    kept = mixed[torch.arange(16), torch.arange(16) % 4]  # own class: lam, or 1 where the partner shares it
    assert float(kept.min()) == pytest.approx(1 - float(area), abs=1e-6)


def test_no_mixing_draws_nothing_and_keypoint_runs_refuse_it():
    images, targets, va = _batch()
    g = torch.Generator().manual_seed(3)
    state = g.get_state()
    assert mix_batch(images, targets, va, g, "none", 1.0)[0] is images and torch.equal(g.get_state(), state)
    with pytest.raises(ValueError, match="other than keypoints"):
        TrainConfig(data="x", task="keypoints", mix="cutmix").validate()


def test_a_cutmix_run_trains(tmp_path, fer2013_dir):
    result = train(_config(tmp_path, fer2013_dir, mix="cutmix", augment_preset="strong_erasing"))
    assert result.history[0]["train_loss"] > 0 and 0 <= result.best_metrics["accuracy"] <= 1
