"""How many epochs of a training recipe fit a time budget on this machine: time real steps, then divide.

A lent GPU machine is held for minutes, so a long schedule has to be sized before it starts (the
cosine schedule needs its length up front). This times `--steps` training steps of the recipe
(the loop's own batch_loss and optimizer_step: augmentation, autocast, EMA) on random images of
the data's size, after a warm-up, adds the validation pass, and prints the number of epochs whose
estimated time fits `--budget-s` (clamped to [--min-epochs, --max-epochs]). `--slowdown` covers
other runs sharing the device.

    python scripts/gpu/plan_epochs.py --arch vgg_fer_wide --train-items 28709 --val-items 3589 --budget-s 400
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from functools import partial

import torch

from ml.evaluation.predict import predict_outputs
from ml.models import create_model
from ml.training import TrainConfig, loop
from ml.training.distributed import resolve_device
from ml.training.ema import WeightAverage
from ml.training.precision import has_conv2d, optimizer_step, plan_precision


def seconds_per_step(config: TrainConfig, device: torch.device, steps: int, warmup: int = 15) -> float:
    """Mean wall time of one training step of `config` on random 48x48-style data (after `warmup` steps)."""
    size, classes = config.input_size, 8
    model = create_model(config.arch, num_classes=classes, in_chans=config.channels, input_size=size).to(device)
    plan = plan_precision(device, config.amp, config.channels_last, has_conv2d(model))
    if plan.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer, scaler = loop.make_optimizer(model, config), plan.make_scaler()
    ema = WeightAverage(model, config.ema_decay) if config.ema_decay else None
    items = 4 * config.batch_size
    data = loop.TrainingTensors(
        images=torch.randint(0, 256, (items, size, size), dtype=torch.uint8),
        targets=torch.eye(classes)[torch.arange(items) % classes], va=torch.zeros(items, 2),
        mean=[0.5], std=[0.25], loss_weights=None, sample_weights=None,
    )  # fmt: skip
    generator = torch.Generator().manual_seed(0)
    started = 0.0
    for step in range(warmup + steps):
        if step == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            started = time.perf_counter()
        idx = torch.randint(0, items, (config.batch_size,), generator=generator)
        compute = partial(loop.batch_loss, model, data, idx, config, generator, device, plan)
        loss = optimizer_step(compute, optimizer, plan, scaler)
        if ema is not None:
            ema.update(model)
        loss.item()  # the loop reads every step's loss, so every step waits for the device as here
    return (time.perf_counter() - started) / steps


def seconds_to_validate(config: TrainConfig, device: torch.device, items: int) -> float:
    model = create_model(config.arch, num_classes=8, in_chans=config.channels, input_size=config.input_size)
    model = model.to(device)
    images = torch.randint(0, 256, (items, config.input_size, config.input_size), dtype=torch.uint8).numpy()
    predict_outputs(model, images[:256], [0.5], [0.25])  # warm-up
    started = time.perf_counter()
    predict_outputs(model, images, [0.5], [0.25])
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", required=True)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--input-size", type=int, default=48)
    parser.add_argument("--augment-preset", default="strong_erasing")
    parser.add_argument("--ema-decay", type=float, default=0.999)
    parser.add_argument("--train-items", type=int, required=True)
    parser.add_argument("--val-items", type=int, required=True)
    parser.add_argument("--budget-s", type=float, required=True)
    parser.add_argument("--slowdown", type=float, default=1.3, help="factor for runs sharing the device")
    parser.add_argument("--min-epochs", type=int, default=20)
    parser.add_argument("--max-epochs", type=int, default=300)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)
    config = TrainConfig(
        arch=args.arch, batch_size=args.batch_size, input_size=args.input_size, augment_preset=args.augment_preset,
        ema_decay=args.ema_decay, optimizer="sgd", amp=True, channels_last=True,
    )  # fmt: skip
    device = resolve_device(args.device, 0)
    step_s = seconds_per_step(config, device, args.steps)
    validate_s = seconds_to_validate(config, device, args.val_items)
    epoch_s = math.ceil(args.train_items / args.batch_size) * step_s + validate_s
    epochs = int(args.budget_s / (epoch_s * args.slowdown))
    print(
        f"{args.arch} on {device}: {step_s * 1000:.1f} ms a step, {epoch_s:.1f} s an epoch alone; "
        f"{epochs} epochs fit {args.budget_s:g} s at x{args.slowdown:g}",
        file=sys.stderr,
    )
    print(min(max(epochs, args.min_epochs), args.max_epochs))


if __name__ == "__main__":
    main()
