"""Figures for reports and model cards (matplotlib's Agg backend: no display needed)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def save_confusion_matrix_png(
    confusion: np.ndarray | list, classes: list[str] | tuple[str, ...], path: str | Path, title: str = ""
) -> Path:
    """Row-normalised confusion matrix (recall per true class) with counts in each cell."""
    cm = np.asarray(confusion, dtype=np.float64)
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    fig, ax = plt.subplots(figsize=(1.0 + 0.8 * len(classes), 0.6 + 0.8 * len(classes)), dpi=110)
    image = ax.imshow(norm, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(len(classes)):
        for j in range(len(classes)):
            color = "white" if norm[i, j] > 0.5 else "black"
            ax.text(j, i, f"{norm[i, j]:.2f}\n{int(cm[i, j])}", ha="center", va="center", fontsize=7, color=color)
    if title:
        ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


# History keys (written per epoch by ml.training.loop into history.json) per panel, with their legends.
# Validation NLL is the validation cross-entropy: the loss the emotion head trains on, measured on held-out data.
LOSS_KEYS = {"train_loss": "train loss", "nll": "validation loss (NLL)"}
SCORE_KEYS = {"accuracy": "accuracy", "macro_f1": "macro-F1", "va_ccc": "V/A CCC"}
ERROR_KEYS = {"va_rmse": "V/A RMSE", "keypoint_rmse": "keypoint RMSE (px)"}
FIGURE_FORMATS = (".png", ".svg")


def load_history(path: str | Path) -> list[dict]:
    """The per-epoch metrics of a run: its history.json, or a run folder holding one."""
    path = Path(path)
    if path.is_dir():
        path = path / "history.json"
    if not path.is_file():
        raise FileNotFoundError(f"no training history at {path}")
    history = json.loads(path.read_text())
    if not isinstance(history, list) or not all(isinstance(row, dict) and "epoch" in row for row in history):
        raise ValueError(f"{path} is not a training history (a JSON list of per-epoch metrics with 'epoch')")
    return history


def save_history_curves(history: list[dict], path: str | Path, title: str = "") -> Path:
    """Loss and accuracy curves per epoch, as PNG or SVG by the file extension.

    One panel per kind of number, each drawn only when the history has it: losses (train loss,
    validation NLL), scores in [0, 1] (accuracy, macro-F1, V/A CCC) and errors (V/A and keypoint
    RMSE), so an emotion, V/A or keypoint run each get the curves their task measures.
    """
    return save_runs_curves({"": history}, path, title)


def save_runs_curves(runs: Mapping[str, list[dict]], path: str | Path, title: str = "") -> Path:
    """The curves of several runs overlaid, panel by panel, each line labelled "run: metric".

    Comparing runs (fp32 against bf16, one seed against another) on the same axes shows where they
    part; a run named "" is labelled by its metric only, which is how one run is drawn.
    """
    path = Path(path)
    if path.suffix.lower() not in FIGURE_FORMATS:
        raise ValueError(f"figure format {path.suffix or '(none)'} not supported; use one of {FIGURE_FORMATS}")
    if not runs or not all(runs.values()):
        raise ValueError("the training history is empty: no epoch finished yet")
    histories = list(runs.values())
    panels = [(keys, name) for keys, name in ((LOSS_KEYS, "loss"), (SCORE_KEYS, "score"), (ERROR_KEYS, "error"))
              if any(_numbers(history, key) for key in keys for history in histories)]  # fmt: skip
    if not panels:
        raise ValueError("the history holds no loss or metric to plot")
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), dpi=110, squeeze=False)
    styles = ("-", "--", ":", "-.")
    for ax, (keys, ylabel) in zip(axes[0], panels, strict=True):
        for index, (run, history) in enumerate(runs.items()):
            ax.set_prop_cycle(None)  # the same metric keeps its colour from run to run; the line style tells runs apart
            for key, legend in keys.items():
                points = _numbers(history, key)
                if points:
                    label = f"{run}: {legend}" if run else legend
                    ax.plot(*zip(*points, strict=True), styles[index % len(styles)], marker="o", markersize=3,
                            label=label)  # fmt: skip
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format=path.suffix.lower().lstrip("."))
    plt.close(fig)
    return path


def _numbers(history: list[dict], key: str) -> list[tuple[int, float]]:
    """(epoch, value) where the epoch recorded a finite number under `key`."""
    return [(row["epoch"], float(row[key])) for row in history
            if isinstance(row.get(key), int | float) and np.isfinite(row[key])]  # fmt: skip
