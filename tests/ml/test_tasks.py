"""Training tasks beyond emotion classes: valence/arousal, keypoints, freezing, and their metrics."""

import numpy as np
import pytest
import torch

from ml.checkpoint import load_checkpoint
from ml.data import FaceSet
from ml.data.transforms import random_affine, warp
from ml.evaluation import concordance_correlation, evaluate, keypoint_report, va_report
from ml.models import create_model
from ml.models.points import FLIP_PERMUTATIONS, to_normalized, to_pixels
from ml.taxonomy import AFFECTNET8
from ml.training import TrainConfig, loop, train
from ml.training.geometry import warp_points
from ml.training.losses import ccc_loss, masked_keypoint_loss, va_loss

SIZE = 32


def _faces(n=48, keypoints=None, va=None, labels=None, seed=0) -> FaceSet:
    """Synthetic grey crops with a bright square whose position encodes the targets."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 40, (n, SIZE, SIZE), dtype=np.uint8)
    centres = rng.uniform(6, SIZE - 7, (n, 2)).astype(np.float32)
    for image, (x, y) in zip(images, centres.round().astype(int), strict=True):
        image[y - 2 : y + 3, x - 2 : x + 3] = 255
    if keypoints == "dot":
        keypoints = np.repeat(centres[:, None, :], 15, axis=1).copy()
        keypoints[::3, 5:] = np.nan  # most Kaggle rows miss points: a third of these do too
    if va == "dot":
        va = (centres / SIZE * 2 - 1).astype(np.float32)
    labels = np.full(n, -1) if labels is None else labels
    return FaceSet(images, np.asarray(labels, dtype=np.int64), AFFECTNET8, [f"f{i}" for i in range(n)],
                   valence_arousal=va, keypoints=keypoints)  # fmt: skip


@pytest.fixture
def synthetic(monkeypatch):
    """Make train() read a given FaceSet instead of a dataset path."""

    def use(faces: FaceSet):
        monkeypatch.setattr(loop, "load_faceset", lambda *args, **kwargs: faces)
        monkeypatch.setattr(evaluate, "load_faceset", lambda *args, **kwargs: faces)

    return use


def _config(tmp_path, **overrides) -> TrainConfig:
    base = dict(arch="vgg_fer", data="synthetic", out_dir=str(tmp_path / "run"), input_size=SIZE, epochs=2,
                batch_size=16, lr=3e-3, num_threads=2, val_fraction=0.25, augment=False, warmup_epochs=0)  # fmt: skip
    return TrainConfig(**{**base, **overrides})


# --- metrics and losses -------------------------------------------------------------------------


def test_ccc_against_a_hand_computation():
    t, p = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 3.0, 5.0])
    # means 2.5 and 3; deviations (-1.5, -.5, .5, 1.5) and (-1, -1, 0, 2): population variances 1.25
    # and 1.5, covariance (1.5 + .5 + 0 + 3) / 4 = 1.25; squared mean gap .25
    expected = 2 * 1.25 / (1.25 + 1.5 + 0.25)
    assert concordance_correlation(t, p) == pytest.approx(expected)
    assert concordance_correlation(t, t) == pytest.approx(1.0)
    assert concordance_correlation(t, t + 1) < 1.0  # an offset costs CCC, not Pearson
    loss = ccc_loss(torch.tensor(p).view(-1, 1), torch.tensor(t).view(-1, 1))
    assert loss.item() == pytest.approx(1 - expected)


def test_va_report():
    rng = np.random.default_rng(0)
    truth = rng.uniform(-1, 1, (200, 2))
    pred = truth * 0.5 + rng.normal(0, 0.1, (200, 2))
    report = va_report(truth, pred)
    assert report["valence_rmse"] == pytest.approx(np.sqrt(((truth[:, 0] - pred[:, 0]) ** 2).mean()))
    assert report["arousal_pearson"] == pytest.approx(np.corrcoef(truth[:, 1], pred[:, 1])[0, 1])
    assert report["va_ccc"] == pytest.approx((report["valence_ccc"] + report["arousal_ccc"]) / 2)
    assert report["valence_ccc"] < report["valence_pearson"]  # halved predictions: correlated, not concordant
    assert report["valence_sign_agreement"] == pytest.approx((np.sign(truth[:, 0]) == np.sign(pred[:, 0])).mean())
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        va_report(truth[:, :1], pred[:, :1])


def test_keypoint_rmse_ignores_missing_points():
    truth = np.array([[[10.0, 10.0], [np.nan, np.nan]], [[20.0, 20.0], [30.0, 30.0]]])
    pred = np.array([[[13.0, 14.0], [0.0, 0.0]], [[20.0, 20.0], [30.0, 30.0]]])
    report = keypoint_report(truth, pred)
    assert report["keypoint_rmse"] == pytest.approx(np.sqrt((9 + 16) / 6))  # 3 points, 6 coordinates
    assert report["keypoint_mean_error"] == pytest.approx(5 / 3) and report["keypoints_evaluated"] == 3
    with pytest.raises(ValueError, match="no keypoint is annotated"):
        keypoint_report(np.full((1, 2, 2), np.nan), np.zeros((1, 2, 2)))


def test_masked_keypoint_loss_gives_missing_points_no_gradient():
    pred = torch.zeros(1, 2, 2, requires_grad=True)
    target = torch.tensor([[[1.0, 1.0], [float("nan"), float("nan")]]])
    loss = masked_keypoint_loss(pred, target)
    loss.backward()
    assert loss.item() == pytest.approx(1.0)
    assert pred.grad[0, 1].abs().sum() == 0 and pred.grad[0, 0].abs().sum() > 0
    assert masked_keypoint_loss(pred, torch.full((1, 2, 2), float("nan"))).item() == 0.0


def test_va_loss_is_mse_plus_one_minus_ccc():
    pred, target = (
        torch.tensor([[0.1, 0.2], [0.3, -0.4], [0.0, 0.5]]),
        torch.tensor([[0.0, 0.1], [0.5, -0.5], [-0.2, 0.4]]),
    )
    expected = torch.nn.functional.mse_loss(pred, target) + ccc_loss(pred, target)
    torch.testing.assert_close(va_loss(pred, target), expected)


# --- points under augmentation ------------------------------------------------------------------


def test_points_move_with_the_pixels():
    image = torch.zeros(8, 1, 64, 64)
    point = torch.tensor([20.0, 40.0])  # x, y in pixels
    image[:, 0, 40, 20] = 1.0
    theta, flipped = random_affine(8, torch.Generator().manual_seed(3), flip=False)
    warped = warp(image, theta)
    moved = to_pixels(warp_points(to_normalized(point.expand(8, 1, 2), 64), theta, flipped), 64)
    for k in range(8):
        y, x = divmod(int(warped[k, 0].argmax()), 64)
        assert abs(x - moved[k, 0, 0]) <= 1.0 and abs(y - moved[k, 0, 1]) <= 1.0


def test_a_flip_mirrors_and_reindexes_keypoints():
    theta = torch.tensor([[[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])  # a pure horizontal flip
    points = torch.zeros(1, 15, 2)
    points[0, 0] = torch.tensor([0.5, 0.0])  # left eye centre (image right), right eye centre at the origin
    flipped = warp_points(points, theta, torch.tensor([True]))
    assert flipped[0, 1].tolist() == [-0.5, 0.0]  # became the right eye centre, on the other side
    assert flipped[0, 0].tolist() == [0.0, 0.0]
    assert sorted(FLIP_PERMUTATIONS[68]) == list(range(68)) and FLIP_PERMUTATIONS[68][36] == 45


# --- training -----------------------------------------------------------------------------------


def test_keypoint_task_trains_and_the_checkpoint_predicts_keypoints(tmp_path, synthetic):
    synthetic(_faces(64, keypoints="dot"))
    result = train(_config(tmp_path, arch="keypoint_resnet18", task="keypoints", epochs=3, augment=True))
    rmses = [h["keypoint_rmse"] for h in result.history]
    assert result.best_metrics["keypoint_rmse"] == min(rmses)  # lower is better
    assert "accuracy" not in result.best_metrics
    ckpt = load_checkpoint(result.best_checkpoint)
    assert ckpt.task == "keypoints" and ckpt.num_keypoints == 15 and not ckpt.va_head
    out = ckpt.build_model()(torch.zeros(2, 1, SIZE, SIZE))
    assert out.keypoints.shape == (2, 15, 2)
    evaluation = evaluate.evaluate_checkpoint(result.best_checkpoint, "synthetic").to_dict()
    assert evaluation["task"] == "keypoints" and evaluation["keypoint_rmse"] > 0 and "accuracy" not in evaluation


def test_va_task_monitors_ccc_and_records_annotated_labels(tmp_path, synthetic):
    synthetic(_faces(48, va="dot", labels=np.arange(48) % 8))
    result = train(_config(tmp_path, task="va"))
    best = result.best_metrics
    assert best["va_ccc"] == max(h["va_ccc"] for h in result.history)
    assert {"valence_rmse", "arousal_ccc", "valence_sign_agreement"} <= set(best) and "accuracy" not in best
    assert best["va_labels"] == "annotated"
    ckpt = load_checkpoint(result.best_checkpoint)
    assert ckpt.task == "va" and ckpt.va_head
    evaluation = evaluate.evaluate_checkpoint(result.best_checkpoint, "synthetic")
    assert evaluation.report is None and evaluation.regression["va_ccc"] == pytest.approx(best["va_ccc"], abs=0.05)


def test_both_task_reports_emotion_and_va(tmp_path, synthetic):
    synthetic(_faces(48, labels=np.arange(48) % 8))
    result = train(_config(tmp_path, task="both", epochs=1))
    assert {"accuracy", "macro_f1", "va_ccc", "va_rmse"} <= set(result.best_metrics)
    assert result.best_metrics["va_labels"] == "derived"  # no annotations: circumplex targets


@pytest.mark.parametrize(
    ("task", "faces", "message"),
    [
        ("va", dict(labels=np.arange(48) % 8), "needs annotated valence/arousal"),
        ("keypoints", dict(labels=np.arange(48) % 8), "needs keypoint annotations"),
        ("emotion", dict(keypoints="dot"), "needs an emotion label"),
    ],
)
def test_tasks_refuse_data_without_their_targets(tmp_path, synthetic, task, faces, message):
    synthetic(_faces(48, **faces))
    with pytest.raises(ValueError, match=message):
        train(_config(tmp_path, task=task))


def test_task_and_monitor_must_fit():
    with pytest.raises(ValueError, match="task must be one of"):
        TrainConfig(data="x", task="age").validate()
    with pytest.raises(ValueError, match="'accuracy' is not measured for task 'keypoints'"):
        TrainConfig(data="x", task="keypoints", monitor="accuracy").validate()
    assert TrainConfig(data="x", task="va").monitor_metric() == "va_ccc"


def test_freeze_backbone_then_fine_tune(tmp_path, synthetic):
    synthetic(_faces(48, labels=np.arange(48) % 8))
    torch.manual_seed(0)
    initial = create_model("vgg_fer", input_size=SIZE).state_dict()
    frozen = load_checkpoint(train(_config(tmp_path, epochs=1, freeze_backbone_epochs=1)).last_checkpoint)
    backbone = [key for key in initial if key.startswith("backbone.")]
    for key in backbone:  # weights and BatchNorm statistics
        assert torch.equal(frozen.state_dict[key], initial[key]), key
    assert not torch.equal(frozen.state_dict["head.weight"], initial["head.weight"])

    tuned = load_checkpoint(
        train(_config(tmp_path, epochs=2, freeze_backbone_epochs=1, out_dir=str(tmp_path / "tuned"))).last_checkpoint
    )
    conv = "backbone.features.0.0.weight"
    assert conv in initial and not torch.equal(tuned.state_dict[conv], initial[conv])


def test_a_landmark_model_trains_on_68_point_data_with_gaps(tmp_path, synthetic):
    faces = _faces(32, labels=np.arange(32) % 8)
    rng = np.random.default_rng(1)
    faces.keypoints = rng.uniform(4, SIZE - 4, (32, 68, 2)).astype(np.float32)
    faces.keypoints[::4] = np.nan  # AffectNet rows without landmarks
    synthetic(faces)
    result = train(_config(tmp_path, arch="cnn_1dnn", epochs=1, max_steps_per_epoch=2, augment=True))
    assert np.isfinite(result.best_metrics["train_loss"]) and "accuracy" in result.best_metrics
    ckpt = load_checkpoint(result.best_checkpoint)
    assert ckpt.num_keypoints == 0 and "backbone.default_landmarks" in ckpt.state_dict


def test_rows_without_annotated_va_are_left_out_of_loss_and_metrics():
    """AffectNet marks some rows' V/A missing (NaN in the FaceSet)."""
    pred = torch.tensor([[0.1, 0.2], [0.3, -0.4], [0.9, 0.9]], requires_grad=True)
    target = torch.tensor([[0.0, 0.1], [0.5, -0.5], [float("nan"), float("nan")]])
    loss = va_loss(pred, target)
    loss.backward()
    torch.testing.assert_close(loss, va_loss(pred[:2].detach(), target[:2]))
    assert pred.grad[2].abs().sum() == 0
    report = va_report(target.numpy(), pred.detach().numpy())
    assert report["va_evaluated"] == 2 and np.isfinite(report["va_rmse"])
    with pytest.raises(ValueError, match="zero annotated items"):
        va_report(np.full((2, 2), np.nan), np.zeros((2, 2)))
