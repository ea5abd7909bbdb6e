"""Learned against derived valence/arousal on annotated faces: CCC and RMSE of both, same model, same faces.

    .venv/bin/python -m ml.data.file_split /tmp/datasets/diffusionfer_s --out /tmp/dfer_split --fraction 0.2 --seed 0
    .venv/bin/python bench/bench_va_learned.py models/ferplus_default.pt --data /tmp/dfer_split/val.csv

"learned" is the checkpoint's V/A head; "derived" is `derive_va` of its class probabilities (the
circumplex position of each class, weighted by probability: what the app shows when the V/A head
is not trusted). Both are scored against the annotated V/A of the faces that have it, with
`ml.evaluation.metrics.va_report`. The checkpoint's card says what its V/A head learned from
(`va_labels` in its metrics). Prints JSON.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from ml.checkpoint import load_checkpoint  # noqa: E402
from ml.data import load_faceset  # noqa: E402
from ml.evaluation.evaluate import infer  # noqa: E402
from ml.evaluation.metrics import va_report  # noqa: E402
from ml.taxonomy import derive_va  # noqa: E402

SHOWN = ("va_ccc", "va_rmse", "valence_ccc", "arousal_ccc", "valence_rmse", "arousal_rmse")


def compare(checkpoint: str, data: str, split: str | None = None) -> dict:
    ckpt = load_checkpoint(checkpoint)
    if not ckpt.va_head:
        raise SystemExit(f"{checkpoint} has no valence/arousal head")
    faces = load_faceset(data, split, size=ckpt.input_size, channels=ckpt.in_chans)
    if faces.valence_arousal is None:
        raise SystemExit(f"{data} has no annotated valence/arousal")
    annotated = ~np.isnan(faces.valence_arousal).any(axis=1)
    outputs = infer(ckpt, ckpt.inference_model(), faces.subset(np.flatnonzero(annotated)))
    truth = faces.valence_arousal[annotated]
    derived = np.array([derive_va(p, ckpt.label_set) for p in outputs.probs], dtype=np.float32)
    return {
        "checkpoint": checkpoint,
        "va_labels": (ckpt.metrics or {}).get("va_labels", "not recorded"),
        "data": f"{data}" + (f" split {split}" if split else ""),
        "faces": int(annotated.sum()),
        "learned": {k: round(float(v), 4) for k, v in va_report(truth, outputs.va).items() if k in SHOWN},
        "derived": {k: round(float(v), 4) for k, v in va_report(truth, derived).items() if k in SHOWN},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("--data", required=True, help="annotated V/A data, e.g. the val.csv of ml.data.file_split")
    parser.add_argument("--split", default=None)
    args = parser.parse_args()
    print(json.dumps(compare(args.checkpoint, args.data, args.split), indent=2))


if __name__ == "__main__":
    main()
