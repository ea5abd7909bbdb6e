"""Training options: LR schedules, FER+ label modes (MV, CEL, PLD), mixed precision and channels-last."""

import argparse
from dataclasses import fields

import numpy as np
import pytest
import torch

from ml.cli.train import add_arguments
from ml.models import create_model
from ml.training import TrainConfig, train
from ml.training.labels import draw_labels, label_generator, resolve_label_mode
from ml.training.loop import TrainingTensors, batch_loss, epoch_targets
from ml.training.precision import PrecisionPlan, has_conv2d, optimizer_step, plan_precision
from ml.training.schedules import cosine_factor, make_scheduler, step_factor

# --- schedules ----------------------------------------------------------------------------------


def test_step_schedule_decays_every_step_size_epochs_or_at_milestones():
    every_two = step_factor(warmup_steps=0, steps_per_epoch=2, gamma=0.5, step_size=2)
    assert [every_two(s) for s in range(8)] == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5]
    milestones = step_factor(warmup_steps=0, steps_per_epoch=2, gamma=0.5, step_size=99, milestones=(1, 3))
    assert [milestones(s) for s in range(8)] == [1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]
    warm = step_factor(warmup_steps=2, steps_per_epoch=2, gamma=0.1, step_size=1)
    assert [warm(s) for s in range(5)] == pytest.approx([0.5, 1.0, 0.1, 0.1, 0.01])


def test_cosine_schedule_warms_up_then_decays_to_zero():
    factor = cosine_factor(warmup_steps=4, total_steps=14)
    assert [factor(s) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert factor(9) == pytest.approx(0.5) and factor(14) == pytest.approx(0.0)


def test_make_scheduler_follows_the_config():
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    config = TrainConfig(data="x", epochs=4, schedule="step", step_size=1, gamma=0.5, warmup_epochs=0)
    scheduler = make_scheduler(optimizer, config, steps_per_epoch=3)
    lrs = []
    for _ in range(12):
        lrs.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    assert lrs == [1.0] * 3 + [0.5] * 3 + [0.25] * 3 + [0.125] * 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (dict(schedule="linear"), "schedule must be one of"),
        (dict(gamma=0.0), "gamma must be in"),
        (dict(step_size=0), "step_size must be"),
        (dict(milestones="3,2"), "increasing"),
        (dict(milestones="3;5"), "comma-separated"),
    ],
)
def test_bad_schedule_settings_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(data="x", **overrides).validate()


def test_new_flags_reach_the_config_and_old_ones_still_parse():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--schedule", "step", "--step-size", "3", "--gamma", "0.5", "--milestones", "4,8",
                              "--augment-preset", "strong", "--no-amp", "--no-channels-last",
                              "--label-mode", "probability", "--augment"])  # fmt: skip
    config = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)})
    assert (config.schedule, config.step_size, config.gamma, config.milestone_epochs()) == ("step", 3, 0.5, (4, 8))
    assert config.augmentation_preset() == "strong" and not config.amp and not config.channels_last
    assert config.label_mode == "probability"
    defaults = parser.parse_args([])
    assert defaults.schedule == "cosine" and defaults.augment and defaults.augment_preset is None and defaults.amp


# --- label modes --------------------------------------------------------------------------------


def test_label_modes_resolve_like_barsoum_et_al():
    assert resolve_label_mode("auto", has_votes=True, task="emotion") == "distribution"
    assert resolve_label_mode("auto", has_votes=False, task="emotion") == "majority"
    assert resolve_label_mode("probability", has_votes=True, task="both") == "probability"
    with pytest.raises(ValueError, match="needs vote data"):
        resolve_label_mode("probability", has_votes=False, task="emotion")


def test_drawn_labels_follow_the_votes_and_are_seeded_per_epoch():
    votes = torch.tensor([[0.7, 0.3, 0.0], [0.0, 0.0, 1.0]])
    many = votes.repeat(5000, 1)
    drawn = draw_labels(many, label_generator(seed=0, epoch=1))
    assert set(drawn.sum(dim=1).tolist()) == {1.0}  # one-hot rows
    assert drawn[1::2, 2].all() and drawn[:, 2][0::2].sum() == 0  # never a class without votes
    assert drawn[0::2, 0].mean().item() == pytest.approx(0.7, abs=0.03)
    again = draw_labels(many, label_generator(seed=0, epoch=1))
    next_epoch = draw_labels(many, label_generator(seed=0, epoch=2))
    assert torch.equal(drawn, again) and not torch.equal(drawn, next_epoch)


def _tensors(n=8, classes=8, size=32, seed=0) -> TrainingTensors:
    rng = np.random.default_rng(seed)
    votes = rng.dirichlet(np.ones(classes), n).astype(np.float32)
    return TrainingTensors(
        images=torch.from_numpy(rng.integers(0, 255, (n, size, size), dtype=np.uint8)),
        targets=torch.from_numpy(votes), va=None, mean=[0.5], std=[0.25], loss_weights=None, sample_weights=None,
    )  # fmt: skip


def test_probability_mode_trains_each_epoch_on_drawn_one_hot_targets():
    data = _tensors()
    drawn = epoch_targets(data, "probability", seed=3, epoch=1)
    assert torch.equal(drawn.images, data.images) and set(drawn.targets.sum(dim=1).tolist()) == {1.0}
    assert (data.targets[drawn.targets.bool()] > 0).all()  # each drawn class had votes
    assert epoch_targets(data, "distribution", seed=3, epoch=1) is data


def test_a_probability_run_on_ferplus_votes(tmp_path, ferplus_dir):
    config = TrainConfig(arch="vgg_fer", data=str(ferplus_dir), train_split="FER2013Train", val_split="FER2013Valid",
                         out_dir=str(tmp_path / "run"), epochs=1, batch_size=8, max_steps_per_epoch=2,
                         label_mode="probability", num_threads=2, augment_preset="strong")  # fmt: skip
    result = train(config)
    assert np.isfinite(result.best_metrics["train_loss"]) and 0 <= result.best_metrics["accuracy"] <= 1


# --- mixed precision and channels-last ----------------------------------------------------------


def test_cpu_plans_bf16_and_channels_last_where_native_else_float32_with_the_reason():
    cpu = torch.device("cpu")
    native = plan_precision(cpu, amp=True, channels_last=True, conv2d=True, bf16_supported=True)
    assert (native.autocast_dtype, native.grad_scaler, native.channels_last) == (torch.bfloat16, False, True)
    forced = plan_precision(cpu, amp=True, channels_last=True, conv2d=True, bf16_supported=False)
    assert forced.autocast_dtype is None and not forced.grad_scaler and forced.channels_last
    assert "training in float32" in forced.notes[0] and "forced off" in forced.notes[0]
    assert plan_precision(cpu, amp=False, channels_last=False, conv2d=True).notes == ()


def test_cuda_plans_bf16_where_supported_else_fp16_with_a_scaler():
    cuda = torch.device("cuda", 0)
    bf16 = plan_precision(cuda, amp=True, channels_last=True, conv2d=True, bf16_supported=True)
    assert (bf16.autocast_dtype, bf16.grad_scaler, bf16.channels_last) == (torch.bfloat16, False, True)
    fp16 = plan_precision(cuda, amp=True, channels_last=True, conv2d=True, bf16_supported=False)
    assert (fp16.autocast_dtype, fp16.grad_scaler) == (torch.float16, True)
    plain = plan_precision(cuda, amp=False, channels_last=True, conv2d=False)
    assert plain.autocast_dtype is None and not plain.channels_last and "no 2-D convolution" in plain.notes[0]
    assert has_conv2d(create_model("vgg_fer", input_size=32)) and not has_conv2d(torch.nn.Linear(2, 2))


def test_one_bf16_channels_last_step_on_cpu_when_enabled_explicitly():
    torch.manual_seed(0)
    model = create_model("vgg_fer", input_size=32, va_head=False).to(memory_format=torch.channels_last).train()
    plan = PrecisionPlan("cpu", torch.bfloat16, channels_last=True)
    seen = {}
    model.head.register_forward_hook(lambda module, args, out: seen.update(dtype=out.dtype))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.head.weight.detach().clone()
    config = TrainConfig(data="x", augment=False)
    idx = torch.arange(8)
    loss = optimizer_step(lambda: batch_loss(model, _tensors(), idx, config, torch.Generator(), precision=plan),
                          optimizer, plan)  # fmt: skip
    assert seen["dtype"] == torch.bfloat16 and torch.isfinite(loss) and loss.dtype == torch.float32
    assert not torch.equal(model.head.weight, before) and model.head.weight.dtype == torch.float32


def test_a_grad_scaler_step_equals_a_plain_step():
    """The fp16 path's loss scaling is undone before the update: same weights as without it."""

    def step(scaler):
        torch.manual_seed(0)
        model = torch.nn.Linear(4, 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.randn(8, 4)
        optimizer_step(lambda: model(x).pow(2).mean(), optimizer, PrecisionPlan(), scaler)
        return model.weight.detach()

    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    torch.testing.assert_close(step(scaler), step(None))
    assert scaler.get_scale() == 1024.0  # no overflow, scale kept (growth only after 2000 good steps)
