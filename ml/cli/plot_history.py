"""Plot a training run's loss and accuracy curves: python -m ml plot-history RUN_DIR[/history.json] --out curves.png.

Several runs are overlaid on the same axes (`plot-history runs/fp32 runs/bf16 --out both.png`), each
line labelled by its run folder's name, or by --labels.

The format follows the extension of --out: .png or .svg. Which curves appear follows what the run's
task measured (losses; accuracy, macro-F1 or V/A CCC; V/A or keypoint RMSE).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ml.evaluation.plots import FIGURE_FORMATS, load_history, save_history_curves, save_runs_curves

EXIT_BAD_INPUT = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("history", nargs="+", help="a run's history.json or run folder; several are overlaid")
    parser.add_argument("--labels", nargs="+", default=None, help="one legend name per run (default: the run folders)")
    parser.add_argument("--out", required=True, help=f"figure file; format by extension: {', '.join(FIGURE_FORMATS)}")
    parser.add_argument("--title", default=None, help="figure title (default: the run folder's name)")


def run(args: argparse.Namespace) -> int:
    sources = [Path(name) for name in args.history]
    names = [(source if source.is_dir() else source.parent).name for source in sources]
    if args.labels is not None and len(args.labels) != len(sources):
        print(f"error: {len(args.labels)} --labels for {len(sources)} runs", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if len(sources) == 1:
            title = args.title if args.title is not None else names[0]
            path = save_history_curves(load_history(sources[0]), args.out, title)
        else:
            labels = args.labels or names
            if len(set(labels)) != len(labels):
                raise ValueError(f"runs need distinct names to tell them apart: {labels}; give --labels")
            runs = {label: load_history(source) for label, source in zip(labels, sources, strict=True)}
            path = save_runs_curves(runs, args.out, args.title or "")
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(path)
    return 0
