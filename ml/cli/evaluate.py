"""Evaluate a checkpoint on one or more datasets: python -m ml evaluate CHECKPOINT --data PATH [--data PATH2 ...].

    python -m ml evaluate best.pt --data ferplus --split FER2013Valid --confusion-png cm.png
    python -m ml evaluate best.pt --data ferplus --data fer2013.csv --data affectnet \\
        --split FER2013Valid --split PublicTest --split - --out eval/     # cross-dataset

`--split` is given once (for every dataset) or once per `--data`, in the same order; `-` reads a
dataset whole. Datasets the model cannot be measured on (no class in common, no annotation of
what it predicts, labels no taxonomy map knows) are skipped with the reason. `--out DIR` writes a
JSON report per dataset, a confusion-matrix PNG per classifier evaluation and summary.json.
Exit codes: 0 at least one dataset evaluated, 2 bad arguments or nothing could be evaluated.
"""

from __future__ import annotations

import argparse
import json
import sys

from ml.evaluation.cross_dataset import CrossEvaluation, DatasetSpec, evaluate_many
from ml.evaluation.evaluate import Evaluation, save_confusion

EXIT_NOTHING_EVALUATED = 2
WHOLE_DATASET = "-"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="a .pt file written by `python -m ml train`")
    parser.add_argument(
        "--data", required=True, action="append", help="dataset folder, zip or CSV; repeat for several datasets"
    )
    parser.add_argument(
        "--split", action="append", default=None,
        help="sub-folder or CSV Usage, e.g. FER2013Valid, val, PublicTest; once for all or once per --data "
        f"('{WHOLE_DATASET}': whole dataset)",
    )  # fmt: skip
    parser.add_argument("--out", default=None, help="folder for per-dataset JSON reports, confusion PNGs, summary")
    parser.add_argument("--confusion-png", default=None, help="one dataset: write its confusion matrix figure here")
    parser.add_argument("--flip-tta", action="store_true", help="average predictions with the mirrored image")
    parser.add_argument("--int8", action="store_true", help="run the int8 weights `python -m ml quantize` added")
    parser.add_argument("--json", action="store_true", help="print JSON: the report (one dataset) or a summary")


def run(args: argparse.Namespace) -> int:
    try:
        specs = dataset_specs(args.data, args.split)
        if args.confusion_png and len(specs) > 1:
            raise ValueError("--confusion-png takes one dataset; with several, --out DIR writes one figure each")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_NOTHING_EVALUATED
    try:
        result = evaluate_many(args.checkpoint, specs, args.out, args.flip_tta, _progress_printer(), args.int8)
    except ValueError as exc:  # e.g. --int8 on a checkpoint without int8 weights
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_NOTHING_EVALUATED
    if args.confusion_png and result.evaluations and result.evaluations[0].report is not None:
        save_confusion(result.evaluations[0], args.confusion_png, result.arch)
    if args.json:
        single = len(specs) == 1 and result.evaluations
        print(json.dumps(result.evaluations[0].to_dict() if single else result.to_dict(), indent=2))
    else:
        _print_text(result)
    for skipped in result.skipped:
        print(f"skipped {skipped.data}{f' [{skipped.split}]' if skipped.split else ''}: {skipped.reason}",
              file=sys.stderr)  # fmt: skip
    return 0 if result.evaluations else EXIT_NOTHING_EVALUATED


def dataset_specs(paths: list[str], splits: list[str] | None) -> list[DatasetSpec]:
    """Pair each --data with its --split: none, one for all, or one each ('-' = whole dataset)."""
    splits = splits or [WHOLE_DATASET]
    if len(splits) == 1:
        splits = splits * len(paths)
    if len(splits) != len(paths):
        raise ValueError(f"give --split once or once per --data: {len(paths)} datasets, {len(splits)} splits")
    pairs = zip(paths, splits, strict=True)
    return [DatasetSpec(path, None if split == WHOLE_DATASET else split) for path, split in pairs]


def _print_text(result: CrossEvaluation) -> None:
    for evaluation in result.evaluations:
        if len(result.evaluations) + len(result.skipped) > 1:
            print(f"== {evaluation.data}{f' [{evaluation.split}]' if evaluation.split else ''}")
        _print_evaluation(evaluation)


def _print_evaluation(evaluation: Evaluation) -> None:
    for name, value in evaluation.regression.items():
        print(f"{name} {value:.4f}" if isinstance(value, float) else f"{name} {value}")
    r = evaluation.report
    if r is None:  # V/A-only and keypoint models: their regression metrics are the whole report
        return
    print(f"{r.num_items} items: accuracy {r.accuracy:.4f}  macro-F1 {r.macro_f1:.4f}  "
          f"weighted-F1 {r.weighted_f1:.4f}  ECE {r.ece:.4f}")  # fmt: skip
    for name, s in r.per_class.items():
        print(f"  {name:10s} precision {s['precision']:.3f} recall {s['recall']:.3f} f1 {s['f1']:.3f} n={s['support']}")
    if evaluation.confusion_png:
        print(f"confusion matrix: {evaluation.confusion_png}")


def _progress_printer():
    """A progress callback drawing `done/total` on an interactive stderr; None when stderr is a file or pipe."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        print(f"\r{done}/{total} items", end="\n" if done == total else "", file=sys.stderr, flush=True)

    return show
