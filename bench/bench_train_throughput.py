"""End-to-end training throughput (images/s: augmentation + forward + backward + update) per architecture,
float32 against bfloat16 autocast + channels-last, as `python -m ml train` runs its steps.

    .venv/bin/python bench/bench_train_throughput.py --arch vgg_fer_fast vgg_fer vgg_fer_wide --size 48 --threads 2
    .venv/bin/python bench/bench_train_throughput.py --arch resnet18 --size 48 112 --precision fp32 bf16 --steps 10

Each step is the training loop's own `batch_loss` (uint8 crops -> the augmentation preset's
batched warp and photometric changes -> normalise -> loss) inside `optimizer_step`, with SGD
(Nesterov) and the precision plan that `plan_precision` makes for this CPU: `fp32` is amp and
channels-last off; `bf16` is amp + channels-last on (float32 with a note where the CPU lacks
native bfloat16; the row's `plan` says which ran). Inputs are random uint8 crops, which cost the
same to augment as real ones. `data_img_s` times the augmentation alone, so a data pipeline
that cannot keep up shows. Rows are JSON lines; pass --markdown for a table.
"""

import argparse
import json
import os
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from ml.data.presets import get_preset  # noqa: E402
from ml.data.transforms import normalize, to_tensor  # noqa: E402
from ml.models import count_parameters, create_model  # noqa: E402
from ml.training.config import TrainConfig  # noqa: E402
from ml.training.geometry import augment_with_points  # noqa: E402
from ml.training.loop import TrainingTensors, batch_loss, make_optimizer  # noqa: E402
from ml.training.precision import has_conv2d, optimizer_step, plan_precision  # noqa: E402

NUM_CLASSES = 7


def random_tensors(n: int, size: int, channels: int) -> TrainingTensors:
    g = torch.Generator().manual_seed(0)
    shape = (n, size, size) if channels == 1 else (n, size, size, channels)
    images = torch.randint(0, 256, shape, dtype=torch.uint8, generator=g)
    labels = torch.randint(0, NUM_CLASSES, (n,), generator=g)
    return TrainingTensors(
        images=images, targets=torch.eye(NUM_CLASSES)[labels], va=None, mean=[0.5] * channels,
        std=[0.25] * channels, loss_weights=None, sample_weights=None,
    )  # fmt: skip


def data_rate(data: TrainingTensors, preset: str, batch: int, steps: int) -> float:
    """Images/s of the augmentation alone (what the loop does before the forward pass)."""
    g = torch.Generator().manual_seed(1)
    started = time.perf_counter()
    for _ in range(steps):
        idx = torch.randint(0, len(data.images), (batch,), generator=g)
        x, _ = augment_with_points(to_tensor(data.images[idx]), None, g, get_preset(preset))
        normalize(x, data.mean, data.std)
    return batch * steps / (time.perf_counter() - started)


def train_rate(arch: str, size: int, channels: int, batch: int, steps: int, precision: str, preset: str) -> dict:
    config = TrainConfig(
        arch=arch, data="-", input_size=size, channels=channels, batch_size=batch, optimizer="sgd", lr=0.01,
        augment_preset=preset, va_head=False, label_smoothing=0.1,
    )  # fmt: skip
    model = create_model(arch, num_classes=NUM_CLASSES, in_chans=channels, input_size=size, va_head=False)
    wanted = precision == "bf16"
    plan = plan_precision(torch.device("cpu"), amp=wanted, channels_last=wanted, conv2d=has_conv2d(model))
    if plan.channels_last:
        model = model.to(memory_format=torch.channels_last)
    model.train()
    optimizer = make_optimizer(model, config)
    data = random_tensors(max(batch * 4, 256), size, channels)
    g = torch.Generator().manual_seed(2)
    warmup = 2
    for i in range(warmup + steps):
        if i == warmup:
            started = time.perf_counter()
        idx = torch.randint(0, len(data.images), (batch,), generator=g)
        optimizer_step(partial(batch_loss, model, data, idx, config, g, precision=plan), optimizer, plan)
    elapsed = time.perf_counter() - started
    return {
        "arch": arch, "params_m": round(count_parameters(model) / 1e6, 2), "size": size, "batch": batch,
        "precision": precision, "plan": "; ".join(plan.notes) or "float32, contiguous",
        "threads": torch.get_num_threads(), "train_img_s": round(batch * steps / elapsed, 1),
        "data_img_s": round(data_rate(data, preset, batch, steps), 1),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", nargs="+", default=["vgg_fer_fast", "vgg_fer"])
    parser.add_argument("--size", type=int, nargs="+", default=[48])
    parser.add_argument("--precision", nargs="+", choices=("fp32", "bf16"), default=["fp32", "bf16"])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--preset", default="strong", help="augmentation preset of ml/data/presets.py")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table at the end")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    for arch in args.arch:
        for size in args.size:
            for precision in args.precision:
                row = train_rate(arch, size, args.channels, args.batch, args.steps, precision, args.preset)
                rows.append(row)
                print(json.dumps(row), flush=True)
    if args.markdown:
        print(f"\nload average at the end: {os.getloadavg()[0]:.2f}\n")
        print("| architecture | params | size | precision | train img/s (data + step) | augmentation alone img/s |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print(
                f"| `{r['arch']}` | {r['params_m']}M | {r['size']} px | {r['precision']} | {r['train_img_s']:,} "
                f"| {r['data_img_s']:,} |"
            )


if __name__ == "__main__":
    main()
