"""Add int8 weights to a checkpoint, checked against the float network: python -m ml quantize CKPT --data D.

    python -m ml quantize models/fer2013_7class.pt --data /tmp/datasets/fer2013_sharp \\
        --calibration-split train --check-split val

Activation ranges are calibrated on `--calibration-items` crops drawn (seeded) from the calibration
split; then the float and the int8 network both run on the check split. Nothing is written when
int8 accuracy falls more than `--max-accuracy-drop` below float accuracy (exit code 3).
The int8 weights go into `--out` (default: the checkpoint itself, replaced atomically); predictions
use them only when asked (`python -m ml evaluate --int8`, `predict(..., int8=True)`).
"""

from __future__ import annotations

import argparse
import json
import sys

from ml.checkpoint import load_checkpoint, save_checkpoint
from ml.evaluation.evaluate import load_for
from ml.evaluation.quantization import quantize_checkpoint

EXIT_ACCURACY_DROP = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="a .pt file written by `python -m ml train`")
    parser.add_argument("--data", required=True, help="dataset folder, zip or CSV with both splits")
    parser.add_argument("--calibration-split", default="train", help="split the activation ranges are measured on")
    parser.add_argument("--check-split", required=True, help="labelled split the int8 network is checked on")
    parser.add_argument("--calibration-items", type=int, default=1024)
    parser.add_argument("--max-accuracy-drop", type=float, default=0.01, help="refuse above this (0.01 = 1 point)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="write here instead of replacing the checkpoint")


def run(args: argparse.Namespace) -> int:
    ckpt = load_checkpoint(args.checkpoint)
    try:
        calibration = load_for(ckpt, args.data, args.calibration_split)
        check = load_for(ckpt, args.data, args.check_split)
        quantized = quantize_checkpoint(
            ckpt, calibration, check, args.calibration_items, args.seed, check_name=f"{args.data} [{args.check_split}]"
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    figures = quantized.int8["check"]
    print(json.dumps(figures, indent=2))
    drop = figures["float_accuracy"] - figures["int8_accuracy"]
    if drop > args.max_accuracy_drop:
        print(f"int8 loses {drop:.4f} accuracy (limit {args.max_accuracy_drop}): nothing written", file=sys.stderr)
        return EXIT_ACCURACY_DROP
    out = save_checkpoint(args.out or args.checkpoint, quantized)  # training state kept when it has one
    print(f"int8 weights written to {out}")
    return 0
