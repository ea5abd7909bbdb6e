"""Accuracy of a checkpoint on a labelled split, with a confusion-matrix PNG and, optionally, a model card.

    .venv/bin/python bench/bench_accuracy.py models/ferplus_default.pt \
        --data /tmp/datasets/ferplus --split FER2013Valid \
        --png docs/model-cards/ferplus_default_confusion.png \
        --model-card docs/model-cards/ferplus_default.md --title "FER+ default model"

Prints the report as JSON (accuracy, macro/weighted F1, ECE, per-class precision/recall, confusion).
The model card is generated from the checkpoint's own metadata (architecture, label set, training
config, data fingerprint, what its V/A head learned) plus the figures measured here, so it cannot
drift from the file. `--history` adds the run's own record (its history.json: epochs run, the
validation curve, the precision the steps ran in); `--notes` appends a hand-written markdown file
verbatim, so context a generator cannot know (how the data was prepared, comparisons) survives
regeneration. Every sentence about V/A and about test splits is derived from the checkpoint.
"""

import argparse
import json
import platform
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from ml.checkpoint import load_checkpoint  # noqa: E402
from ml.evaluation.evaluate import evaluate_checkpoint  # noqa: E402
from ml.models import count_parameters  # noqa: E402

CLI_FLAGS_SKIP = {"log_every", "max_steps_per_epoch", "resume", "num_threads"}
# Split names that mean "held-back test data" (as webapp/datasets/records.py maps them).
TEST_SPLITS = {"test", "privatetest", "fer2013test"}


def training_command(config: dict) -> str:
    """The `python -m ml train` command line equivalent to a saved TrainConfig."""
    parts = [".venv/bin/python -m ml train"]
    for key, value in config.items():
        if key in CLI_FLAGS_SKIP or value is None or (key == "val_fraction" and config.get("val_split")):
            continue
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            parts.append(flag if value else "--no-" + key.replace("_", "-"))
        else:
            parts.append(f"{flag} {value}")
    return " \\\n    ".join(parts)


VA_DERIVED = (
    "yes; trained on valence/arousal derived from the label distribution through the circumplex table in "
    "ml/taxonomy.py (the data has no annotated V/A), so it is a smoothed `derive_va(probs)`, not a measured V/A model"
)


def va_note(ckpt) -> str:
    """What the V/A head learned, from the checkpoint's own record (`va_labels`, set by the training loop)."""
    if not ckpt.va_head:
        return "no"
    source = (ckpt.metrics or {}).get("va_labels")
    if source == "derived":
        return VA_DERIVED
    graft = (ckpt.metrics or {}).get("va_graft")
    if source == "annotated" and isinstance(graft, dict):
        figures = graft.get("metrics") or {}
        ccc = f"; V/A CCC {figures['va_ccc']:.3f} on `{graft.get('val_data')}`" if "va_ccc" in figures else ""
        return (
            f"yes; learned on {ckpt.va_learned_on or 'annotated valence/arousal'}: the head was trained on "
            f"the annotated valence/arousal of `{graft.get('data')}` over this network's frozen trunk and grafted in "
            f"(`python -m ml graft-va`), so the emotion head and trunk are unchanged{ccc}"
        )
    if source == "annotated":
        return (
            f"yes; trained on the annotated valence/arousal of `{ckpt.config.get('data')}` "
            f"(task `{ckpt.config.get('task')}`)"
        )
    return "yes; the checkpoint does not record whether its V/A targets were annotated or derived"


def is_test_split(split: str | None) -> bool:
    return split is not None and split.strip().lower() in TEST_SPLITS


def splits_note(cfg: dict, evaluated_split: str | None) -> str:
    """Which splits the run read and whether any is a test split, as the saved config says."""
    val = cfg.get("val_split")
    read = [s for s in (cfg.get("train_split"), val) if s]
    where = f"splits {', '.join(f'`{s}`' for s in read)}" if read else "the whole dataset (no split named)"
    if any(is_test_split(s) for s in read):
        return f"The run read {where}, one of which is a test split."
    if evaluated_split is None or not is_test_split(evaluated_split):
        return f"The run read {where}; no test split was read, here or in training."
    return f"The run read {where}; the test split `{evaluated_split}` evaluated here was not read in training."


def run_section(history: list[dict], cfg: dict) -> str:
    """The run's record from its history.json: epochs, the monitored curve, precision and EMA."""
    if not history:
        return ""
    monitor = cfg.get("monitor") if cfg.get("monitor") not in (None, "auto") else "accuracy"
    curve = [h.get(monitor) for h in history if isinstance(h.get(monitor), float)]
    best = max(curve) if curve else None
    precision = sorted({h["precision"] for h in history if h.get("precision")})
    ema = cfg.get("ema_decay") or 0
    lines = [f"- Epochs run: {len(history)} of {cfg.get('epochs')} planned."]
    if curve:
        marks = sorted({0, len(curve) // 4, len(curve) // 2, 3 * len(curve) // 4, len(curve) - 1})
        points = ", ".join(f"epoch {history[i]['epoch']}: {curve[i]:.4f}" for i in marks)
        lines.append(f"- Validation `{monitor}` along the run: {points}; best {best:.4f}.")
    lines.append(
        "- Training steps ran in: " + ("; ".join(precision) if precision else "not recorded (run predates the record)")
        + "; validation in float32."
    )  # fmt: skip
    lines.append(f"- Weights: {'EMA of the weights, decay ' + str(ema) if ema else 'the trained weights (no EMA)'}.")
    return "\n## The run (its history.json)\n\n" + "\n".join(lines) + "\n"


FERPLUS_NOTE = (
    " (FER+ crowd-vote distributions as soft targets; rows whose most-voted column is unknown or not-a-face dropped)"
)


def int8_section(ckpt) -> str:
    """The card's account of the checkpoint's int8 weights (python -m ml quantize), if it has any."""
    if ckpt.int8 is None:
        return ""
    check = ckpt.int8.get("check", {})
    return f"""
## int8 weights

Added by `python -m ml quantize` ({ckpt.int8.get("engine")} kernels, activation ranges calibrated on
{ckpt.int8.get("calibration_items")} crops of the training split). Checked on `{check.get("data")}`
({check.get("items")} items): float accuracy {check.get("float_accuracy")}, int8 accuracy
{check.get("int8_accuracy")}, the two agree on {check.get("agreement")} of the items, and no class
probability moves by more than {check.get("max_probability_change")}. Predictions use them only when
asked (`python -m ml evaluate --int8`, `Checkpoint.inference_model(int8=True)`).
"""


def model_card(args, ckpt, r: dict, seconds: float, history: list[dict] | None = None, notes: str = "") -> str:
    """Markdown model card from the checkpoint's metadata and the report `r` measured here."""
    cfg = ckpt.config
    size_mb = Path(args.checkpoint).stat().st_size / 1e6
    params = count_parameters(ckpt.build_model())
    colour = "grayscale" if ckpt.in_chans == 1 else "RGB"
    mean, std = [round(m, 4) for m in ckpt.mean], [round(v, 4) for v in ckpt.std]
    label_note = (
        FERPLUS_NOTE if cfg.get("label_mode") in ("auto", "distribution") and "ferplus" in cfg.get("data", "") else ""
    )
    dropped = f", {r['items_dropped']} dropped for classes outside the label set" if r["items_dropped"] else ""
    optimistic = "This split also picked the best epoch, so these figures are slightly optimistic. "
    optimistic = optimistic if args.split == cfg.get("val_split") else ""
    validation = f"split `{cfg.get('val_split')}`"
    if not cfg.get("val_split") and not cfg.get("val_data"):
        validation = f"a stratified {cfg.get('val_fraction')} of the training data held out (seed {cfg.get('seed')})"
    notes_section = f"\n## Notes\n\n{notes.strip()}\n" if notes.strip() else ""
    per_class = "\n".join(
        f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |"
        for name, s in r["per_class"].items()
    )
    figure = f"![confusion matrix]({Path(args.png).name})" if args.png else ""
    tta = " --flip-tta" if args.flip_tta else ""
    tta_note = " with flip test-time augmentation" if tta else ""
    return f"""# {args.title}

File: `{args.checkpoint}` ({size_mb:.1f} MB). Architecture `{ckpt.arch}` ({params:,} parameters),
{ckpt.input_size}x{ckpt.input_size} {colour} input, normalised with mean {mean} and std {std}
(computed on the training images, stored in the checkpoint).
Label set `{ckpt.label_set.name}`: {", ".join(ckpt.label_set.classes)}.
Valence/arousal head: {va_note(ckpt)}.

## Data

- Training: `{cfg.get("data")}` split `{cfg.get("train_split")}`.
- Validation (model selection): {validation}.
- Label mode `{cfg.get("label_mode")}`{label_note}.
- Data fingerprint (train:val): `{ckpt.data_fingerprint}`.
- Best epoch {ckpt.epoch} of {cfg.get("epochs")}, selected on validation `{cfg.get("monitor")}`.

## Training command

```
{training_command(cfg)}
```
{run_section(history or [], cfg)}
## Figures (measured by `bench/bench_accuracy.py`)

Evaluated on `{args.data}` split `{args.split}` ({r["num_items"]} items{dropped}), {date.today().isoformat()},
{platform.machine()} CPU, torch {torch.__version__}, {seconds:.1f} s{tta_note}.
{optimistic}{splits_note(cfg, args.split)}

| metric | value |
|---|---|
| accuracy | {r["accuracy"]:.4f} |
| macro-F1 | {r["macro_f1"]:.4f} |
| weighted-F1 | {r["weighted_f1"]:.4f} |
| ECE (15 bins) | {r["ece"]:.4f} |
| NLL | {r["nll"]:.4f} |

| class | precision | recall | F1 | support |
|---|---|---|---|---|
{per_class}

{figure}

Reproduce:

```
.venv/bin/python bench/bench_accuracy.py {args.checkpoint} --data {args.data} --split {args.split}{tta}
```
{int8_section(ckpt)}{notes_section}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("--data", required=True)
    parser.add_argument("--split", default=None)
    parser.add_argument("--png", default=None, help="confusion-matrix PNG path")
    parser.add_argument("--flip-tta", action="store_true")
    parser.add_argument("--model-card", default=None, help="write a markdown model card here")
    parser.add_argument("--title", default="Model card")
    parser.add_argument("--history", default=None, help="the run's history.json, for the card's run section")
    parser.add_argument("--notes", default=None, help="hand-written markdown appended to the card as its Notes")
    args = parser.parse_args()
    started = time.perf_counter()
    evaluation = evaluate_checkpoint(args.checkpoint, args.data, args.split, args.png, args.flip_tta).to_dict()
    seconds = time.perf_counter() - started
    print(json.dumps({**evaluation, "seconds": round(seconds, 2)}, indent=2))
    if args.model_card:
        ckpt = load_checkpoint(args.checkpoint)
        history = json.loads(Path(args.history).read_text()) if args.history else None
        notes = Path(args.notes).read_text() if args.notes else ""
        Path(args.model_card).write_text(model_card(args, ckpt, evaluation, seconds, history, notes))
        print(f"model card: {args.model_card}", file=sys.stderr)


if __name__ == "__main__":
    main()
