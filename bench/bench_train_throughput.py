"""Training and inference throughput (images/s) of registered architectures on this machine.

    .venv/bin/python bench/bench_train_throughput.py --arch vgg_fer simple_cnn resnet18 --size 48 --batch 64
    .venv/bin/python bench/bench_train_throughput.py --arch resnet18 efficientnet_b0 --size 48 112 --steps 20

One optimiser step = forward + backward + AdamW update on random grey images; inference is
eval-mode forward without gradients. Used to pick an architecture/epoch count that fits a
CPU budget (see docs/model-cards/).
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from ml.models import count_parameters, create_model  # noqa: E402


def measure(arch: str, size: int, batch: int, channels: int, steps: int, warmup: int = 2) -> dict:
    model = create_model(arch, in_chans=channels, input_size=size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(batch, channels, size, size)
    y = torch.randint(0, 8, (batch,))
    model.train()
    for i in range(warmup + steps):
        if i == warmup:
            started = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(model(x).logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    train_ips = batch * steps / (time.perf_counter() - started)
    model.eval()
    with torch.no_grad():
        model(x)
        started = time.perf_counter()
        for _ in range(steps):
            model(x)
    infer_ips = batch * steps / (time.perf_counter() - started)
    return {
        "arch": arch, "params": count_parameters(model), "size": size, "batch": batch,
        "threads": torch.get_num_threads(), "train_img_s": round(train_ips, 1), "infer_img_s": round(infer_ips, 1),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", nargs="+", default=["vgg_fer"])
    parser.add_argument("--size", type=int, nargs="+", default=[48])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--channels", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    for arch in args.arch:
        for size in args.size:
            print(json.dumps(measure(arch, size, args.batch, args.channels, args.steps)), flush=True)


if __name__ == "__main__":
    main()
