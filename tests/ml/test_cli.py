import json

from ml.__main__ import main


def test_train_then_evaluate_from_the_command_line(tmp_path, ferplus_dir, capsys):
    out_dir = tmp_path / "run"
    bundled = tmp_path / "model.pt"
    code = main([
        "train", "--arch", "simple_cnn", "--data", str(ferplus_dir), "--train-split", "FER2013Train",
        "--val-split", "FER2013Valid", "--epochs", "1", "--batch-size", "20", "--out-dir", str(out_dir),
        "--no-augment", "--copy-best-to", str(bundled), "--json",
    ])  # fmt: skip
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["epochs_run"] == 1 and (out_dir / "best.pt").is_file() and bundled.is_file()

    png = tmp_path / "cm.png"
    code = main(["evaluate", str(bundled), "--data", str(ferplus_dir), "--split", "FER2013Valid",
                 "--confusion-png", str(png), "--json"])  # fmt: skip
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["num_items"] == 8 and set(report) >= {"accuracy", "macro_f1", "weighted_f1", "ece", "per_class"}
    assert len(report["confusion"]) == 8 and png.is_file()

    # The curves of the history.json the training loop itself wrote for this run.
    curves = tmp_path / "curves.png"
    assert main(["plot-history", str(out_dir / "history.json"), "--out", str(curves)]) == 0
    assert capsys.readouterr().out.strip() == str(curves) and curves.read_bytes().startswith(b"\x89PNG")


def test_list_models(capsys):
    assert main(["train", "--list-models"]) == 0
    assert "vgg_fer" in capsys.readouterr().out.split()
