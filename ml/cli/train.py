"""Train a model: python -m ml train --arch vgg_fer --data PATH [--task emotion|va|both|keypoints] ...

Several processes (DistributedDataParallel): torchrun --nproc_per_node=N -m ml train ...
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import fields

from ml.models import list_models
from ml.training import TrainConfig, train

# Flags are generated from TrainConfig so the command line and the saved config never drift apart.
_HELP = {
    "arch": "architecture name (see --list-models)",
    "data": "dataset folder or zip (class folders, FER+ label.csv) or FER-2013 CSV",
    "train_split": "sub-folder or CSV Usage to train on, e.g. FER2013Train, train, Training",
    "val_split": "sub-folder or Usage to validate on; default: hold out --val-fraction",
    "out_dir": "where last.pt, best.pt and history.json go",
    "label_mode": "auto | majority | distribution (soft targets from FER+ votes) | probability (each epoch a "
    "class drawn from each face's votes)",
    "schedule": "learning-rate schedule after the warm-up: cosine | step",
    "step_size": "step schedule: epochs between LR decays",
    "gamma": "step schedule: factor applied to the LR at each decay",
    "milestones": "step schedule: decay after these comma-separated epoch counts instead of every --step-size",
    "augment": "augment the training images (--no-augment = preset none)",
    "augment_preset": "none | light | standard | strong | strong_erasing (default: standard when --augment)",
    "amp": "mixed precision: on CUDA bf16 where supported, else fp16 with loss scaling; on a CPU with native "
    "bf16 (AVX512-BF16/AMX) bf16 autocast, else float32 (logged)",
    "channels_last": "channels_last memory format for conv models (CPU and CUDA)",
    "mix": "none | mixup | cutmix: blend each batch with a shuffled copy of itself, targets alike",
    "mix_alpha": "mixup/cutmix: lam ~ Beta(alpha, alpha)",
    "ema_decay": "validate and save an exponential moving average of the weights with this decay (0 = off)",
    "imbalance": "none | loss (class-weighted loss) | sampler (class-balanced sampling)",
    "task": "emotion | va (annotated valence/arousal) | both | keypoints (facial-keypoints regression)",
    "monitor": "metric picking the best checkpoint: auto (per task) | accuracy | macro_f1 | va_ccc | va_rmse "
    "| keypoint_rmse",
    "freeze_backbone_epochs": "train only the heads for this many epochs, then fine-tune the whole network",
    "device": "auto (CUDA when present) | cpu | cuda | cuda:N; under torchrun each rank uses cuda:LOCAL_RANK",
    "resume": "continue from OUT_DIR/last.pt",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--list-models", action="store_true", help="print the architecture names and exit")
    parser.add_argument("--json", action="store_true", help="print the final result as JSON")
    parser.add_argument("--copy-best-to", default=None, help="also write the best model (no optimizer) here")
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        default = f.default
        if f.type in ("bool", bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=_HELP.get(f.name))
            continue
        kind = {"int": int, "float": float}.get(str(f.type).split(" ")[0], str)
        if f.name in ("num_threads", "max_steps_per_epoch"):
            kind = int
        parser.add_argument(flag, type=kind, default=default, help=_HELP.get(f.name))


def run(args: argparse.Namespace) -> int:
    if args.list_models:
        print("\n".join(list_models()))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    config = TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)})

    def progress(epoch, step, loss, metrics, eta):
        shown = " ".join(f"{k}={v:.4f}" for k, v in metrics.items() if isinstance(v, float))
        print(f"epoch {epoch} step {step} loss {loss:.4f} {shown} eta {eta / 60:.1f} min", file=sys.stderr, flush=True)

    result = train(config, progress=progress)
    if args.copy_best_to:
        from ml.checkpoint import load_checkpoint, save_checkpoint

        save_checkpoint(args.copy_best_to, load_checkpoint(result.best_checkpoint), include_training_state=False)
    summary = {
        "best_checkpoint": str(result.best_checkpoint),
        "best_metrics": result.best_metrics,
        "epochs_run": len(result.history),
        "stopped_early": result.stopped_early,
    }
    print(json.dumps(summary, indent=2) if args.json else f"best {result.best_metrics} -> {result.best_checkpoint}")
    return 0
