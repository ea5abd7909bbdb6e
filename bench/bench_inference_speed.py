"""Inference throughput (faces/s) of architectures as predictions run them: plain, BN-folded + channels-last, int8.

    .venv/bin/python bench/bench_inference_speed.py --arch vgg_fer vgg_fer_fast --size 48 --threads 2

Random grey inputs, eval mode, batches of `--batch`; each figure is the best of `--repeats` passes
over `--images` inputs. "plain" is `Checkpoint.build_model()`, "folded" is `inference_model()`
(ml/models/inference.py), "int8" is `inference_model(int8=True)` with activation ranges calibrated
on random inputs (speed does not depend on the ranges; accuracy does: see `python -m ml quantize`).
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from ml.models import count_flops, create_model  # noqa: E402
from ml.models.inference import for_inference  # noqa: E402
from ml.models.quantize import quantize_state, quantized_model  # noqa: E402


def faces_per_second(model: torch.nn.Module, x: torch.Tensor, batch: int, repeats: int) -> float:
    best = float("inf")
    with torch.inference_mode():
        model(x[:batch])  # warm-up: oneDNN picks and caches its kernels on the first call
        for _ in range(repeats):
            start = time.perf_counter()
            for i in range(0, len(x), batch):
                model(x[i : i + batch])
            best = min(best, time.perf_counter() - start)
    return round(len(x) / best, 1)


def measure(arch: str, size: int, batch: int, images: int, repeats: int) -> dict:
    model = create_model(arch, num_classes=7, input_size=size).eval()
    x = torch.randn(images, 1, size, size, generator=torch.Generator().manual_seed(0))
    variants = {
        "plain": model,
        "folded_channels_last": for_inference(model),
        "int8": quantized_model(model, quantize_state(model, x[:256])),
    }
    return {
        "arch": arch,
        "size": size,
        "mflops": round(count_flops(model, size) / 1e6, 1),
        **{name: faces_per_second(variant, x, batch, repeats) for name, variant in variants.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", nargs="+", default=["vgg_fer", "vgg_fer_fast"])
    parser.add_argument("--size", type=int, default=48)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--images", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(json.dumps({"machine": f"{platform.machine()}, {os.cpu_count()} cores", "threads": args.threads}))
    for arch in args.arch:
        print(json.dumps(measure(arch, args.size, args.batch, args.images, args.repeats)), flush=True)


if __name__ == "__main__":
    main()
