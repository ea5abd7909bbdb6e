import numpy as np
import pytest
from sklearn import metrics as skm

from ml.evaluation import classification_report, confusion_matrix, expected_calibration_error
from ml.evaluation.plots import save_confusion_matrix_png


def _random_predictions(n=500, classes=8, seed=0):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, classes, n)
    logits = rng.normal(size=(n, classes)) + 2.0 * np.eye(classes)[y_true] * rng.random((n, 1))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return probs, y_true


def test_report_matches_scikit_learn():
    probs, y_true = _random_predictions()
    y_pred = probs.argmax(axis=1)
    report = classification_report(probs, y_true, [f"c{i}" for i in range(8)])
    assert report.accuracy == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert report.macro_f1 == pytest.approx(skm.f1_score(y_true, y_pred, average="macro"))
    assert report.weighted_f1 == pytest.approx(skm.f1_score(y_true, y_pred, average="weighted"))
    assert report.nll == pytest.approx(skm.log_loss(y_true, probs, labels=range(8)))
    precision, recall, _, support = skm.precision_recall_fscore_support(y_true, y_pred, labels=range(8))
    assert [s["precision"] for s in report.per_class.values()] == pytest.approx(precision.tolist())
    assert [s["recall"] for s in report.per_class.values()] == pytest.approx(recall.tolist())
    assert [s["support"] for s in report.per_class.values()] == support.tolist()
    assert report.confusion == skm.confusion_matrix(y_true, y_pred, labels=range(8)).tolist()


def test_macro_f1_with_missing_and_never_predicted_classes_matches_scikit_learn():
    y_true = np.array([0, 0, 1, 1, 2])
    y_pred = np.array([0, 3, 1, 0, 2])  # class 3 predicted but absent; classes 4..7 absent everywhere
    probs = np.eye(8)[y_pred]
    report = classification_report(probs, y_true, [str(i) for i in range(8)])
    assert report.macro_f1 == pytest.approx(skm.f1_score(y_true, y_pred, average="macro"))
    assert report.weighted_f1 == pytest.approx(skm.f1_score(y_true, y_pred, average="weighted"))


def test_confusion_matrix_rows_are_true_classes():
    cm = confusion_matrix(np.array([0, 0, 1]), np.array([1, 0, 1]), 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 0]]


def test_ece():
    # Perfectly calibrated: confidence 0.8 and 80% correct -> 0.
    probs = np.tile([0.8, 0.2], (10, 1))
    y_true = np.array([0] * 8 + [1] * 2)
    assert expected_calibration_error(probs, y_true) == pytest.approx(0.0)
    # Always confident (0.9) and always wrong -> 0.9.
    assert expected_calibration_error(np.tile([0.9, 0.1], (4, 1)), np.ones(4, dtype=int)) == pytest.approx(0.9)
    # A hand-computed two-bin case: bin (0.6] acc 0.5, bin (1.0] acc 1.
    probs = np.array([[0.6, 0.4], [0.6, 0.4], [1.0, 0.0]])
    expected = (2 / 3) * abs(0.5 - 0.6) + (1 / 3) * abs(1.0 - 1.0)
    assert expected_calibration_error(probs, np.array([0, 1, 0]), n_bins=10) == pytest.approx(expected)


def test_empty_input_is_an_error():
    with pytest.raises(ValueError, match="zero items"):
        classification_report(np.zeros((0, 3)), np.zeros(0, dtype=int), ["a", "b", "c"])


def test_confusion_png(tmp_path):
    path = save_confusion_matrix_png([[5, 1], [2, 7]], ["happy", "sad"], tmp_path / "cm.png", title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_regression_metrics_match_scikit_learn_on_random_data():
    from scipy.stats import pearsonr
    from sklearn.metrics import mean_squared_error

    from ml.evaluation import keypoint_report, va_report

    rng = np.random.default_rng(3)
    truth = rng.uniform(-1, 1, (500, 2))
    pred = np.clip(truth * 0.6 + rng.normal(0, 0.3, truth.shape), -1, 1)
    truth[::7] = np.nan  # unannotated rows are left out, as sklearn never sees them
    kept = ~np.isnan(truth).any(axis=1)
    report = va_report(truth, pred)
    assert report["va_evaluated"] == kept.sum()
    for i, name in enumerate(("valence", "arousal")):
        t, p = truth[kept, i], pred[kept, i]
        assert report[f"{name}_rmse"] == pytest.approx(np.sqrt(mean_squared_error(t, p)))
        assert report[f"{name}_pearson"] == pytest.approx(pearsonr(t, p).statistic)
        # Lin's CCC from its definition, population moments
        ccc = 2 * np.cov(t, p, bias=True)[0, 1] / (t.var() + p.var() + (t.mean() - p.mean()) ** 2)
        assert report[f"{name}_ccc"] == pytest.approx(ccc)

    points, guess = rng.uniform(0, 96, (40, 15, 2)), rng.uniform(0, 96, (40, 15, 2))
    points[0, :5] = np.nan
    present = ~np.isnan(points).any(axis=2)
    expected = np.sqrt(mean_squared_error(points[present], guess[present]))
    assert keypoint_report(points, guess)["keypoint_rmse"] == pytest.approx(expected)
