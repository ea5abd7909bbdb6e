"""Cross-dataset evaluation on the committed dataset fixtures: what is evaluated, what is skipped and why."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ml.__main__ import main
from ml.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from ml.evaluation.cross_dataset import DatasetSpec, evaluate_many
from ml.evaluation.evaluate import evaluate_checkpoint, infer, load_for, predict
from ml.models import create_model
from ml.taxonomy import AFFECTNET8, FER2013_7

DATASETS = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"
AFFECTNET = str(DATASETS / "affectnet_small")  # 7 faces with V/A (one missing, one V/A only) and 68 landmarks
KEYPOINTS = str(DATASETS / "facial_keypoints_small.csv")  # 4 faces, 15 keypoints, no emotion labels
FERPLUS = str(DATASETS / "ferplus_small")  # 16 emotion faces, 2 of them contempt
FER2013 = str(DATASETS / "fer2013_small")  # class folders, 1 val face per FER-2013 class


def _checkpoint(tmp_path: Path, task: str, label_set=FER2013_7, arch: str = "simple_cnn") -> Path:
    """An untrained but real checkpoint of the given task (training is tested elsewhere)."""
    torch.manual_seed(0)
    keypoints = 15 if task == "keypoints" else 0
    va_head = task != "keypoints"
    model = create_model(arch, num_classes=label_set.num_classes, input_size=48, va_head=va_head,
                         num_keypoints=keypoints)  # fmt: skip
    ckpt = Checkpoint(arch, label_set, 48, 1, [0.5], [0.25], model.state_dict(), va_head, {"task": task},
                      num_keypoints=keypoints)  # fmt: skip
    return save_checkpoint(tmp_path / f"{task}_{label_set.name}.pt", ckpt)


def _png_is_valid(path: str | Path) -> bool:
    import cv2

    data = Path(path).read_bytes()
    image = cv2.imread(str(path))
    return data.startswith(b"\x89PNG\r\n\x1a\n") and image is not None and image.std() > 0


def test_an_emotion_model_is_evaluated_where_its_classes_are_and_skips_the_rest(tmp_path):
    checkpoint = _checkpoint(tmp_path, "emotion")
    specs = [DatasetSpec(AFFECTNET), DatasetSpec(KEYPOINTS), DatasetSpec(FERPLUS, "FER2013Valid"),
             DatasetSpec(FER2013, "val"), DatasetSpec(str(tmp_path / "missing"))]  # fmt: skip
    result = evaluate_many(checkpoint, specs, out_dir=tmp_path / "eval")

    assert [(e.data, e.split) for e in result.evaluations] == [(AFFECTNET, None), (FERPLUS, "FER2013Valid"),
                                                               (FER2013, "val")]  # fmt: skip
    skipped = {s.data: s.reason for s in result.skipped}
    assert "the data's classes: none (no emotion labels)" in skipped[KEYPOINTS]
    assert skipped[str(tmp_path / "missing")].startswith("cannot be read: dataset path does not exist")
    ferplus = result.evaluations[1]
    assert ferplus.items_dropped == 2 and ferplus.report.num_items == 14  # contempt is not a FER-2013 class
    assert result.evaluations[0].regression["va_evaluated"] == 5  # of the labelled faces: one lacks V/A

    # The same numbers as a single evaluation, and the files say what the result says.
    alone = evaluate_checkpoint(checkpoint, FERPLUS, "FER2013Valid")
    assert alone.report.to_dict() == ferplus.report.to_dict()
    summary = json.loads((tmp_path / "eval" / "summary.json").read_text())
    assert [row["accuracy"] for row in summary["evaluated"]] == [e.report.accuracy for e in result.evaluations]
    assert len(summary["skipped"]) == 2 and summary["task"] == "emotion"
    for row, evaluation in zip(summary["evaluated"], result.evaluations, strict=True):
        report = json.loads(Path(row["report"]).read_text())
        assert report["confusion"] == evaluation.report.confusion and report["data"] == evaluation.data
        assert _png_is_valid(row["confusion_png"])
    assert Path(summary["evaluated"][1]["report"]).name == "03_ferplus_small_FER2013Valid.json"


def test_unlabelled_items_never_count_as_the_last_class(tmp_path):
    # The keypoints CSV has no emotion labels (-1): an 8-class model must not read them as "contempt".
    result = evaluate_many(_checkpoint(tmp_path, "emotion", AFFECTNET8), [KEYPOINTS])
    assert not result.evaluations and "no labelled item" in result.skipped[0].reason


def test_va_and_keypoint_models_report_their_regression_metrics(tmp_path):
    va = evaluate_many(_checkpoint(tmp_path, "va"), [AFFECTNET, FERPLUS, KEYPOINTS])
    assert len(va.evaluations) == 1 and va.evaluations[0].report is None
    assert va.evaluations[0].regression["va_evaluated"] == 6 and np.isfinite(va.evaluations[0].regression["va_ccc"])
    assert {s.reason for s in va.skipped} == {"no annotated valence/arousal"}

    points = evaluate_many(_checkpoint(tmp_path, "keypoints"), [AFFECTNET, KEYPOINTS], out_dir=tmp_path / "kp")
    (evaluation,) = points.evaluations
    assert evaluation.data == KEYPOINTS and evaluation.regression["keypoint_rmse"] > 0
    assert points.skipped[0].reason == "no 15-point keypoint annotations (found: 68-point)"
    summary = json.loads((tmp_path / "kp" / "summary.json").read_text())
    assert summary["evaluated"][0]["keypoint_rmse"] == evaluation.regression["keypoint_rmse"]
    assert summary["evaluated"][0]["confusion_png"] is None and not list((tmp_path / "kp").glob("*.png"))


def test_progress_is_reported_per_batch_and_chunking_changes_no_prediction(tmp_path):
    ckpt = load_checkpoint(_checkpoint(tmp_path, "emotion"))
    model = ckpt.build_model()
    faces = load_for(ckpt, FERPLUS, "FER2013Valid")
    calls = []
    chunked = infer(ckpt, model, faces, progress=lambda done, total: calls.append((done, total)), batch_size=5)
    assert calls == [(5, 16), (10, 16), (15, 16), (16, 16)]
    whole = infer(ckpt, model, faces)
    np.testing.assert_allclose(chunked.probs, whole.probs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(chunked.va, whole.va, rtol=1e-5, atol=1e-6)
    flipped = infer(ckpt, model, faces, flip_tta=True)
    np.testing.assert_allclose(flipped.probs, predict(ckpt, faces.images, flip_tta=True), rtol=1e-5, atol=1e-6)
    assert not np.allclose(flipped.probs, whole.probs)

    seen = []
    evaluate_checkpoint(_checkpoint(tmp_path, "va"), AFFECTNET, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(7, 7)]


def test_cli_evaluates_several_datasets_and_prints_a_summary(tmp_path, capsys):
    checkpoint = _checkpoint(tmp_path, "emotion")
    code = main(["evaluate", str(checkpoint), "--data", FERPLUS, "--data", KEYPOINTS, "--data", FER2013,
                 "--split", "FER2013Valid", "--split", "-", "--split", "val", "--out", str(tmp_path / "out"),
                 "--json"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0
    summary = json.loads(captured.out)
    assert [row["split"] for row in summary["evaluated"]] == ["FER2013Valid", "val"]
    assert summary["skipped"][0]["data"] == KEYPOINTS and f"skipped {KEYPOINTS}: " in captured.err
    assert json.loads((tmp_path / "out" / "summary.json").read_text()) == summary


def test_cli_va_model_prints_its_metrics_and_nothing_evaluable_exits_2(tmp_path, capsys):
    checkpoint = str(_checkpoint(tmp_path, "va"))
    assert main(["evaluate", checkpoint, "--data", AFFECTNET, "--confusion-png", str(tmp_path / "cm.png")]) == 0
    lines = dict(line.split(" ", 1) for line in capsys.readouterr().out.splitlines())
    assert lines["va_evaluated"] == "6" and -1 <= float(lines["va_ccc"]) <= 1
    assert not (tmp_path / "cm.png").exists()  # a V/A model has no confusion matrix
    assert main(["evaluate", checkpoint, "--data", FERPLUS, "--split", "FER2013Valid"]) == 2
    assert "no annotated valence/arousal" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--data", FERPLUS, "--data", FER2013, "--split", "a", "--split", "b", "--split", "c"], "once per --data"),
        (["--data", FERPLUS, "--data", FER2013, "--confusion-png", "x.png"], "--confusion-png takes one dataset"),
    ],
)
def test_cli_refuses_mismatched_arguments(tmp_path, capsys, argv, message):
    assert main(["evaluate", str(_checkpoint(tmp_path, "emotion")), *argv]) == 2
    assert message in capsys.readouterr().err
