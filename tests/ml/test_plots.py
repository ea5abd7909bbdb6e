"""Training-curve figures from a run's history.json, as PNG and SVG."""

import json
import xml.etree.ElementTree as ET

import cv2
import pytest

from ml.__main__ import main
from ml.evaluation.plots import load_history, save_history_curves

SVG = "{http://www.w3.org/2000/svg}"


def _emotion_history(epochs: int = 4) -> list[dict]:
    """Rows as ml.training.loop writes them for task emotion (with a V/A head: va_labels is a string)."""
    return [
        {"epoch": e, "train_loss": 2.0 / e, "lr": 0.01, "accuracy": 0.2 * e, "macro_f1": 0.15 * e,
         "weighted_f1": 0.18 * e, "ece": 0.1, "nll": 1.9 / e, "va_rmse": 0.5 / e, "va_ccc": 0.1 * e,
         "va_labels": "derived"}
        for e in range(1, epochs + 1)
    ]  # fmt: skip


def _axes_ids(svg_path) -> list[str]:
    root = ET.parse(svg_path).getroot()
    assert root.tag == f"{SVG}svg"
    return sorted(g.get("id") for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("axes_"))


def test_png_and_svg_curves_are_valid_files_with_one_panel_per_kind(tmp_path):
    history = _emotion_history()
    png = save_history_curves(history, tmp_path / "curves.png", "run-1")
    image = cv2.imread(str(png))
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and image is not None
    assert image.shape[1] == round(3 * 4.2 * 110) and image.std() > 0  # loss, score and error panels
    svg = save_history_curves(history, tmp_path / "curves.svg")
    assert _axes_ids(svg) == ["axes_1", "axes_2", "axes_3"]


def test_a_keypoint_run_gets_loss_and_error_panels_only(tmp_path):
    history = [{"epoch": e, "train_loss": 1.0 / e, "lr": 0.01, "keypoint_rmse": 9.0 / e, "keypoint_mean_error": 1.0,
                "keypoints_evaluated": 30} for e in (1, 2)]  # fmt: skip
    svg = save_history_curves(history, tmp_path / "kp.svg")
    assert _axes_ids(svg) == ["axes_1", "axes_2"]
    png = save_history_curves(history, tmp_path / "kp.png")
    assert cv2.imread(str(png)).shape[1] == round(2 * 4.2 * 110)


def test_bad_inputs_are_refused(tmp_path):
    with pytest.raises(ValueError, match="format .jpg not supported"):
        save_history_curves(_emotion_history(), tmp_path / "curves.jpg")
    with pytest.raises(ValueError, match="history is empty"):
        save_history_curves([], tmp_path / "curves.png")
    (tmp_path / "history.json").write_text(json.dumps({"epoch": 1}))
    with pytest.raises(ValueError, match="not a training history"):
        load_history(tmp_path)
    with pytest.raises(FileNotFoundError, match="no training history"):
        load_history(tmp_path / "nowhere")


def test_plot_history_command_reads_a_run_folder(tmp_path, capsys):
    run = tmp_path / "run-7"
    run.mkdir()
    (run / "history.json").write_text(json.dumps(_emotion_history(3)))
    assert main(["plot-history", str(run), "--out", str(tmp_path / "c.svg")]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "c.svg") and _axes_ids(tmp_path / "c.svg")
    assert main(["plot-history", str(run / "history.json"), "--out", str(tmp_path / "c.gif")]) == 2
    assert "not supported" in capsys.readouterr().err
