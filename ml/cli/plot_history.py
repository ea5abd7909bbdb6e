"""Plot a training run's loss and accuracy curves: python -m ml plot-history RUN_DIR[/history.json] --out curves.png.

The format follows the extension of --out: .png or .svg. Which curves appear follows what the run's
task measured (losses; accuracy, macro-F1 or V/A CCC; V/A or keypoint RMSE).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ml.evaluation.plots import FIGURE_FORMATS, load_history, save_history_curves

EXIT_BAD_INPUT = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("history", help="a run's history.json, or the run folder holding it")
    parser.add_argument("--out", required=True, help=f"figure file; format by extension: {', '.join(FIGURE_FORMATS)}")
    parser.add_argument("--title", default=None, help="figure title (default: the run folder's name)")


def run(args: argparse.Namespace) -> int:
    source = Path(args.history)
    title = args.title if args.title is not None else (source if source.is_dir() else source.parent).name
    try:
        path = save_history_curves(load_history(source), args.out, title)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(path)
    return 0
