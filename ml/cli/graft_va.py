"""Move a frozen-backbone run's V/A head into its base checkpoint: python -m ml graft-va BASE DONOR --learned-on ...

    python -m ml graft-va models/ferplus_default.pt runs/dfer_va/best.pt \\
        --learned-on "synthetic faces (DiffusionFER-S)" --out runs/ferplus_learned_va.pt

DONOR must come from BASE with its backbone frozen for every epoch (ml/training/graft.py says why);
anything else is refused with exit status 2 and nothing written. Emotion predictions of the
result are the base's; measure its V/A with bench/bench_va_learned.py before shipping it.
"""

from __future__ import annotations

import argparse
import sys

from ml.checkpoint import load_checkpoint, save_checkpoint
from ml.training.graft import graft_va_head

EXIT_BAD_INPUT = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("base", help="the checkpoint that keeps its trunk and emotion head")
    parser.add_argument("donor", help="a run from BASE with the backbone frozen, task va or both")
    parser.add_argument("--learned-on", required=True, help="what the V/A labels were, shown on cards and results")
    parser.add_argument("--out", required=True, help="where the grafted checkpoint goes (never BASE in place)")


def run(args: argparse.Namespace) -> int:
    try:
        grafted = graft_va_head(load_checkpoint(args.base), load_checkpoint(args.donor), args.learned_on)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(save_checkpoint(args.out, grafted, include_training_state=False))
    return 0
