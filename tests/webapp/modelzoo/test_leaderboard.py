"""Evaluations, CPU latency and the leaderboard page with its promotion buttons."""

from pathlib import Path

import pytest
import torch
from django.conf import settings
from rest_framework.test import APIClient

from tests.checkpoints import write_tiny_checkpoint
from webapp.datasets.models import Label
from webapp.modelzoo import evaluation, services
from webapp.modelzoo.models import Evaluation, ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundled():
    return services.active_version()


@pytest.fixture
def trained():
    path = write_tiny_checkpoint(Path(settings.MEDIA_ROOT) / "models" / "trained" / "tiny.pt", seed=3)
    return services.register_checkpoint(path, source="trained", name="tiny run")[0]


def test_the_bundled_model_is_evaluated_on_each_dataset_held_out_split(bundled, ferplus, fer2013):
    evaluations = {e.dataset.name: e for e in evaluation.evaluate_version(bundled)}

    assert set(evaluations) == {"ferplus-tiny", "fer2013-tiny"}
    on_ferplus = evaluations["ferplus-tiny"]
    # FER2013Valid faces whose majority is an emotion (the import keeps "not a face" ones without one).
    labelled = Label.objects.filter(item__dataset=ferplus, item__split="val", emotion__isnull=False).count()
    assert on_ferplus.split == "val" and on_ferplus.metrics["num_items"] == labelled == 8
    assert on_ferplus.metrics["accuracy"] >= 0.5  # an 83%-on-FER2013Valid model on real FER+ valid faces
    assert len(on_ferplus.confusion) == 8 and sum(map(sum, on_ferplus.confusion)) == labelled
    assert (Path(settings.MEDIA_ROOT) / on_ferplus.confusion_png).is_file()
    # Evaluating again refreshes the same rows.
    evaluation.evaluate_version(bundled)
    assert Evaluation.objects.filter(model_version=bundled).count() == 2


def test_cpu_latency_is_measured_and_stored(bundled):
    latency = evaluation.measure_cpu_latency(bundled)
    bundled.refresh_from_db()
    assert 0 < latency < 1000 and bundled.cpu_latency_ms == latency


def test_cpu_latency_is_the_median_of_the_timed_runs_on_one_thread(bundled, monkeypatch):
    """A clock that makes timed run i take i+1 ms: the stored figure is those runs' median (warm-up runs are
    not timed), and the network ran on one thread, the caller's thread count given back afterwards."""
    import statistics
    import time

    durations = [float(i + 1) for i in range(evaluation.LATENCY_RUNS)]
    clock = {"now": 0.0, "calls": 0}
    threads_seen = []

    def fake_perf_counter():
        call = clock["calls"]
        clock["calls"] += 1
        if call % 2:  # the end of run call // 2
            clock["now"] += durations[call // 2] / 1000
            threads_seen.append(torch.get_num_threads())
        return clock["now"]

    monkeypatch.setattr(time, "perf_counter", fake_perf_counter)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        latency = evaluation.measure_cpu_latency(bundled)
        after = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    bundled.refresh_from_db()
    assert latency == pytest.approx(statistics.median(durations)) == bundled.cpu_latency_ms
    assert clock["calls"] == 2 * evaluation.LATENCY_RUNS  # warm-up runs are not timed
    assert set(threads_seen) == {1} and after == 2


def test_a_dataset_sharing_fewer_than_two_classes_is_not_compared(bundled, import_dataset):
    from tests.webapp.training.conftest import FER2013

    only_happy = import_dataset(FER2013 / "train" / "happy", "happy-only")
    assert evaluation.evaluate_version(bundled, [only_happy]) == []


def test_leaderboard_rows_columns_and_admin_buttons(client, admin_user, annotator, bundled, trained, ferplus,
                                                    sent_tasks, django_capture_on_commit_callbacks):  # fmt: skip
    Evaluation.objects.create(model_version=bundled, dataset=ferplus, split="val",
                              metrics={"accuracy": 0.91, "macro_f1": 0.55, "num_items": 11})  # fmt: skip
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get("/leaderboard/").content.decode()

    assert f'id="version-{bundled.pk}"' in page and f'id="version-{trained.pk}"' in page
    assert 'ferplus-tiny<br><span class="muted">val · accuracy' in page and "91.0%" in page and "n = 11" in page
    versions = list(ModelVersion.objects.all())  # every bundled checkpoint in models/ and the trained one
    assert page.count('class="promote"') == len(versions) - 1  # the active model has no promote button
    assert f"/api/models/{trained.pk}/promote/" in page
    # Versions never measured are queued once, on the first view, on the cpu queue.
    assert sorted(sent_tasks) == sorted(("modelzoo.evaluate", [v.pk], "cpu") for v in versions)
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/leaderboard/")
    assert len(sent_tasks) == len(versions)  # not queued again

    client.force_login(annotator)
    assert client.get("/leaderboard/").status_code == 403  # models and evaluations are admins' only


def test_evaluate_api_queues_admins_only(api_client, admin_client, annotator, trained, sent_tasks,
                                         django_capture_on_commit_callbacks):  # fmt: skip
    api_client.force_authenticate(annotator)
    assert api_client.post(f"/api/models/{trained.pk}/evaluate/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/api/models/{trained.pk}/evaluate/")
    assert response.status_code == 202
    assert sent_tasks == [("modelzoo.evaluate", [trained.pk], "cpu")]
    assert admin_client.post("/api/models/99999/evaluate/").status_code == 404


def test_evaluate_api_refuses_a_version_whose_checkpoint_is_gone(admin_client, trained, sent_tasks):
    trained.path.unlink()
    response = admin_client.post(f"/api/models/{trained.pk}/evaluate/")
    assert response.status_code == 400 and "checkpoint of" in response.json()["error"]["message"]
    assert sent_tasks == []


def test_evaluations_api_lists_figures_with_the_confusion_png(api_client, admin_client, admin_user, annotator, bundled,
                                                              ferplus):
    evaluation.evaluate_version(bundled, [ferplus])
    api_client.force_authenticate(annotator)
    assert api_client.get(f"/api/models/{bundled.pk}/evaluations/").status_code == 403
    body = admin_client.get(f"/api/models/{bundled.pk}/evaluations/").json()
    [row] = body["results"] if isinstance(body, dict) else body
    assert row["dataset"] == "ferplus-tiny"
    assert row["confusion_png_url"] == f"/leaderboard/evaluations/{row['id']}/confusion.png"
    assert set(row["per_class"]) == set(row["classes"])
    # The figure: admins only, and never from a public /media/ URL.
    figure = Evaluation.objects.get(pk=row["id"]).confusion_png
    api_client.force_login(annotator)  # a page session: the figure is a page-side file view
    assert api_client.get(row["confusion_png_url"]).status_code == 403
    assert APIClient().get(f"/media/{figure}").status_code == 404
    api_client.force_login(admin_user)
    response = api_client.get(row["confusion_png_url"])
    assert response.status_code == 200 and response.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_latency_shows_in_the_model_api(admin_client, bundled):
    evaluation.measure_cpu_latency(bundled)
    body = admin_client.get(f"/api/models/{bundled.pk}/").json()
    assert body["cpu_latency_ms"] == ModelVersion.objects.get(pk=bundled.pk).cpu_latency_ms


def tiny_version(name: str, seed: int, **kwargs) -> ModelVersion:
    path = write_tiny_checkpoint(Path(settings.MEDIA_ROOT) / "models" / "trained" / f"{name}.pt", seed=seed, **kwargs)
    return services.register_checkpoint(path, source="trained", name=name)[0]


def test_a_va_head_is_measured_against_annotated_va_only(trained, affectnet, fer2013):
    from tests.webapp.training.conftest import hold_out

    hold_out(affectnet)
    evaluations = {e.dataset.name: e for e in evaluation.evaluate_version(trained)}

    on_affectnet = evaluations["affectnet-tiny"].metrics
    assert on_affectnet["num_items"] == 2 and on_affectnet["va_evaluated"] == 2
    assert {"accuracy", "macro_f1", "va_ccc", "va_rmse", "valence_pearson", "arousal_sign_agreement"} <= set(
        on_affectnet
    )  # fmt: skip
    assert -1 <= on_affectnet["va_ccc"] <= 1 and on_affectnet["va_rmse"] > 0
    # FER-2013 has no annotated V/A: its classes' circumplex V/A is never taken for ground truth.
    assert "va_ccc" not in evaluations["fer2013-tiny"].metrics and "accuracy" in evaluations["fer2013-tiny"].metrics


def test_va_and_keypoint_models_are_measured_where_their_labels_are(affectnet, facial_keypoints, fer2013):
    from tests.webapp.training.conftest import hold_out

    hold_out(affectnet)
    hold_out(facial_keypoints)
    va_only = tiny_version("va-only", 4, task="va")
    kaggle = tiny_version("kaggle-points", 5, task="keypoints", num_keypoints=15)

    [on_va] = evaluation.evaluate_version(va_only)
    [on_points] = evaluation.evaluate_version(kaggle)  # AffectNet's 68 landmarks are another layout: not compared

    assert on_va.dataset == affectnet and on_va.metrics["va_evaluated"] == 2 and "accuracy" not in on_va.metrics
    assert (on_va.per_class, on_va.confusion, on_va.confusion_png) == ({}, [], "")
    assert on_points.dataset == facial_keypoints and on_points.metrics["keypoint_rmse"] > 0
    assert on_points.metrics["num_items"] == 1 and on_points.metrics["keypoints_evaluated"] == 15


def test_leaderboard_shows_va_ccc_and_keypoint_rmse_columns(client, admin_user, trained, affectnet, facial_keypoints,
                                                            sent_tasks):  # fmt: skip
    from tests.webapp.training.conftest import hold_out

    hold_out(affectnet)
    hold_out(facial_keypoints)
    kaggle = tiny_version("kaggle-points", 5, task="keypoints", num_keypoints=15)
    [on_affectnet] = evaluation.evaluate_version(trained, [affectnet])
    [on_points] = evaluation.evaluate_version(kaggle, [facial_keypoints])
    client.force_login(admin_user)

    page = client.get("/leaderboard/").content.decode()

    for title in ("accuracy", "macro-F1", "VA CCC"):
        assert f'affectnet-tiny<br><span class="muted">val · {title}' in page
    assert 'keypoints-tiny<br><span class="muted">val · keypoint RMSE' in page
    assert f'data-value="{on_affectnet.metrics["va_ccc"]}"' in page
    assert f'data-value="{on_points.metrics["keypoint_rmse"]}"' in page
    assert 'data-key="keypoints-tiny/val/keypoint_rmse" data-lower-better' in page
