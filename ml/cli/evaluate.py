"""Evaluate a checkpoint: python -m ml evaluate CHECKPOINT --data PATH [--split NAME] [--json]."""

from __future__ import annotations

import argparse
import json

from ml.evaluation.evaluate import evaluate_checkpoint


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="a .pt file written by `python -m ml train`")
    parser.add_argument("--data", required=True, help="dataset folder, zip or FER-2013 CSV")
    parser.add_argument("--split", default=None, help="sub-folder or CSV Usage, e.g. FER2013Valid, val, PublicTest")
    parser.add_argument("--confusion-png", default=None, help="write the confusion matrix figure here")
    parser.add_argument("--flip-tta", action="store_true", help="average predictions with the mirrored image")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")


def run(args: argparse.Namespace) -> int:
    evaluation = evaluate_checkpoint(args.checkpoint, args.data, args.split, args.confusion_png, args.flip_tta)
    if args.json:
        print(json.dumps(evaluation.to_dict(), indent=2))
        return 0
    for name, value in evaluation.regression.items():
        print(f"{name} {value:.4f}" if isinstance(value, float) else f"{name} {value}")
    r = evaluation.report
    if r is None:
        return 0
    print(f"{r.num_items} items: accuracy {r.accuracy:.4f}  macro-F1 {r.macro_f1:.4f}  "
          f"weighted-F1 {r.weighted_f1:.4f}  ECE {r.ece:.4f}")  # fmt: skip
    for name, s in r.per_class.items():
        print(f"  {name:10s} precision {s['precision']:.3f} recall {s['recall']:.3f} f1 {s['f1']:.3f} n={s['support']}")
    if evaluation.confusion_png:
        print(f"confusion matrix: {evaluation.confusion_png}")
    return 0
