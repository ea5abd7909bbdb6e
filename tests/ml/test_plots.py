"""Training-curve figures from a run's history.json, as PNG and SVG."""

import json
import xml.etree.ElementTree as ET

import cv2
import pytest

from ml.__main__ import main
from ml.evaluation.plots import load_history, save_history_curves, save_runs_curves

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


def _line_count(svg_path) -> int:
    root = ET.parse(svg_path).getroot()
    return sum(1 for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("line2d_"))


def test_several_runs_are_overlaid_line_for_line(tmp_path):
    one = save_runs_curves({"fp32": _emotion_history()}, tmp_path / "one.svg")
    two = save_runs_curves({"fp32": _emotion_history(), "bf16": _emotion_history(3)}, tmp_path / "two.svg")
    assert _axes_ids(two) == ["axes_1", "axes_2", "axes_3"]
    # The second run adds one line per metric drawn (losses 2, scores 3, errors 1) and its legend entry.
    assert _line_count(two) - _line_count(one) == 2 * 6
    with pytest.raises(ValueError, match="empty"):
        save_runs_curves({"fp32": _emotion_history(), "bf16": []}, tmp_path / "x.svg")


def test_plot_history_command_overlays_runs_and_checks_their_names(tmp_path, capsys):
    for name in ("fp32", "bf16"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "history.json").write_text(json.dumps(_emotion_history(3)))
    runs = [str(tmp_path / "fp32"), str(tmp_path / "bf16")]
    assert main(["plot-history", *runs, "--out", str(tmp_path / "both.svg")]) == 0
    assert _axes_ids(tmp_path / "both.svg")
    assert main(["plot-history", *runs, "--labels", "only-one", "--out", str(tmp_path / "x.svg")]) == 2
    assert "1 --labels for 2 runs" in capsys.readouterr().err
    assert main(["plot-history", *runs, "--labels", "a", "a", "--out", str(tmp_path / "x.svg")]) == 2
    assert "distinct names" in capsys.readouterr().err
