"""Launching, following and cancelling runs through the API, and the training pages."""

import pytest

from webapp.training.models import TrainingRun

pytestmark = pytest.mark.django_db


def launch(client, datasets, **fields):
    body = {"datasets": [d.pk for d in datasets], "architecture": "simple_cnn", "epochs": 3, **fields}
    return client.post("/api/training/runs/", body, format="json")


def test_launch_records_the_run_and_sends_it_to_the_chosen_queue(admin_client, fer2013, sent_tasks,
                                                                  django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = launch(admin_client, [fer2013], queue="cpu", label_sources=["original", "correction"],
                          augmentation="none", imbalance="sampler", lr=0.01)  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["datasets"], body["queue"], body["name"]) == (
        "queued",
        ["fer2013-tiny"],
        "cpu",
        "simple_cnn on fer2013-tiny",
    )
    assert body["label_sources"] == ["correction", "original"]
    run = TrainingRun.objects.get(pk=body["id"])
    assert run.config == {"epochs": 3, "batch_size": 64, "lr": 0.01, "optimizer": "adamw", "weight_decay": 1e-4,
                          "input_size": 48, "channels": 1, "imbalance": "sampler", "patience": 10,
                          "freeze_backbone_epochs": 0, "seed": 0, "augment": False,
                          "augment_preset": "none"}  # fmt: skip
    assert sent_tasks == [("training.run", [run.pk], "cpu")]
    assert run.task_id == "task-1"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"architecture": "no_such_net"}, "architecture"),
        ({"architecture": "squeezenet1_1", "input_size": 40}, "input_size: squeezenet1_1 needs an input size of at"),
        ({"epochs": 0}, "epochs"),
        ({"lr": -1}, "lr"),
        ({"label_sources": ["crowd"]}, "label_sources: the chosen datasets have no emotion label from these sources"),
        ({"label_sources": ["gossip"]}, "label_sources"),
        ({"datasets": []}, "datasets"),
        ({"datasets": [99999]}, "datasets"),
        ({"queue": "tpu"}, "queue"),
        ({"epochs": 3, "freeze_backbone_epochs": 3}, "freeze_backbone_epochs: must be fewer than the epochs"),
    ],
)  # fmt: skip
def test_bad_launches_are_refused_and_leave_nothing_behind(admin_client, fer2013, sent_tasks, fields, message):
    body = {"datasets": [fer2013.pk], "architecture": "simple_cnn", **fields}
    response = admin_client.post("/api/training/runs/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(message)
    assert not TrainingRun.objects.exists() and sent_tasks == []


def test_only_admins_launch_or_see_runs(api_client, client, annotator, admin_user, fer2013, sent_tasks):
    assert launch(api_client, [fer2013]).status_code == 401  # token authentication first: a 401, not a 403
    api_client.force_authenticate(annotator)
    assert launch(api_client, [fer2013]).status_code == 403
    assert api_client.get("/api/training/runs/").status_code == 403
    assert not TrainingRun.objects.exists()
    # The pages are plain Django views: a logged-in annotator's session gets a 403 that says why, an admin's the page.
    client.force_login(annotator)
    response = client.get("/training/")
    assert response.status_code == 403 and "This page is for admins." in response.content.decode()
    client.force_login(admin_user)
    assert client.get("/training/").status_code == 200


def test_cancel_a_queued_run_at_once_and_refuse_to_cancel_a_finished_one(admin_client, fer2013, sent_tasks):
    run_id = launch(admin_client, [fer2013]).json()["id"]
    response = admin_client.post(f"/api/training/runs/{run_id}/cancel/")
    assert response.status_code == 202 and response.json()["status"] == "cancelled"
    again = admin_client.post(f"/api/training/runs/{run_id}/cancel/")
    assert again.status_code == 400 and again.json()["error"]["message"] == "run: run 1 has already cancelled".replace(
        "1", str(run_id), 1)  # fmt: skip


def test_a_run_being_evaluated_is_not_cancelled(admin_client, fer2013, sent_tasks):
    run_id = launch(admin_client, [fer2013]).json()["id"]
    TrainingRun.objects.filter(pk=run_id).update(status="evaluating")
    response = admin_client.post(f"/api/training/runs/{run_id}/cancel/")
    assert response.status_code == 400 and "being evaluated" in response.json()["error"]["message"]
    assert not TrainingRun.objects.get(pk=run_id).cancel_requested


def test_cancel_a_running_run_asks_its_worker(admin_client, fer2013, sent_tasks):
    run_id = launch(admin_client, [fer2013]).json()["id"]
    TrainingRun.objects.filter(pk=run_id).update(status="running")
    body = admin_client.post(f"/api/training/runs/{run_id}/cancel/").json()
    assert (body["status"], body["cancel_requested"]) == ("running", True)


def test_architectures_list_their_parameter_counts(admin_client):
    architectures = {a["name"]: a for a in admin_client.get("/api/training/architectures/").json()}
    assert architectures["vgg_fer"]["parameter_count"] == 1_241_002  # the bundled model's figure
    assert architectures["squeezenet1_1"]["min_input_size"] == 48
    assert architectures["inception_v3"]["min_input_size"] == 32  # smaller inputs are upsampled inside
    assert len(architectures) >= 25


def test_run_detail_reports_progress_fields(admin_client, fer2013, sent_tasks):
    run_id = launch(admin_client, [fer2013]).json()["id"]
    TrainingRun.objects.filter(pk=run_id).update(
        status="running", epoch=2, progress=0.5, eta_seconds=12.0, history=[{"epoch": 1, "train_loss": 1.5}],
        worker_host="gpu-1", device="cpu (2 threads)", log_tail="epoch 1/3: ...",
    )  # fmt: skip
    body = admin_client.get(f"/api/training/runs/{run_id}/").json()
    assert (body["epoch"], body["total_epochs"], body["progress"], body["eta_seconds"]) == (2, 3, 0.5, 12.0)
    assert (body["worker_host"], body["device"], body["evaluations"]) == ("gpu-1", "cpu (2 threads)", [])


def test_training_pages_render_the_form_and_a_run(client, admin_user, fer2013, sent_tasks, admin_client):
    client.force_login(admin_user)
    page = client.get("/training/").content.decode()
    assert 'id="launch-form"' in page and "fer2013-tiny (42 items)" in page
    assert "vgg_fer — 1,241,002 parameters" in page
    assert '<option value="strong" title="flip, rotation ±15°' in page and "blur σ ≤ 1 px on 30% of images" in page
    run_id = launch(admin_client, [fer2013]).json()["id"]
    run_page = client.get(f"/training/runs/{run_id}/").content.decode()
    assert 'id="run-progress"' in run_page and 'id="curve-loss"' in run_page
    assert client.get("/training/runs/99999/").status_code == 404


@pytest.mark.parametrize("preset", ["none", "light", "standard", "strong"])
def test_every_augmentation_preset_reaches_the_training_config(admin_client, fer2013, sent_tasks, preset):
    run = TrainingRun.objects.get(pk=launch(admin_client, [fer2013], augmentation=preset).json()["id"])
    assert (run.config["augment_preset"], run.config["augment"]) == (preset, preset != "none")


def test_an_unknown_augmentation_preset_is_refused(admin_client, fer2013, sent_tasks):
    response = launch(admin_client, [fer2013], augmentation="wild")
    assert response.status_code == 400 and "augmentation" in response.json()["error"]["message"]
    assert not TrainingRun.objects.exists()


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ("va", "label_sources: the chosen datasets have no item with annotated valence/arousal and an emotion label"),
        ("keypoints", "label_sources: the chosen datasets have no keypoint label from these sources"),
    ],
)
def test_va_and_keypoint_runs_on_data_without_those_labels_are_refused(admin_client, fer2013, sent_tasks, task,
                                                                       message):  # fmt: skip
    response = launch(admin_client, [fer2013], task=task)
    assert response.status_code == 400 and response.json()["error"]["message"].startswith(message)
    assert not TrainingRun.objects.exists() and sent_tasks == []


def test_va_needs_the_va_from_the_chosen_sources(admin_client, affectnet, sent_tasks):
    refused = launch(admin_client, [affectnet], task="va", label_sources=["crowd"])
    assert refused.status_code == 400 and "annotated valence/arousal" in refused.json()["error"]["message"]
    accepted = launch(admin_client, [affectnet], task="va", label_sources=["original"])
    assert accepted.status_code == 201 and accepted.json()["task"] == "va"


def test_keypoint_data_trains_keypoints_but_not_emotions(admin_client, facial_keypoints, sent_tasks):
    refused = launch(admin_client, [facial_keypoints], task="emotion")
    assert refused.status_code == 400 and "no emotion label" in refused.json()["error"]["message"]
    accepted = launch(admin_client, [facial_keypoints], task="keypoints")
    assert accepted.status_code == 201 and TrainingRun.objects.get().task == "keypoints"


def test_an_unknown_task_is_refused(admin_client, fer2013, sent_tasks):
    response = launch(admin_client, [fer2013], task="landmarks")
    assert response.status_code == 400 and response.json()["error"]["message"].startswith("task")
    assert not TrainingRun.objects.exists()


def test_the_launch_form_lists_every_task_with_what_it_learns_from(client, admin_user, fer2013):
    client.force_login(admin_user)
    page = client.get("/training/").content.decode()
    for value, label in TrainingRun.Task.choices:
        assert f'<option value="{value}">{value} — {label}</option>' in page
    assert len(TrainingRun.Task.choices) == 4 and "annotated V/A" in TrainingRun.Task.VA.label


def test_launch_defaults_follow_the_workers_that_answer():
    from webapp.training.serializers import launch_defaults

    assert launch_defaults({"gpu": True, "cpu": True})["queue"] == "gpu"
    cpu_only = launch_defaults({"gpu": False, "cpu": True})
    assert (cpu_only["queue"], cpu_only["epochs"]) == ("cpu", 10) and "no GPU worker" in cpu_only["reason"]
    nobody = launch_defaults({"gpu": False, "cpu": False})
    assert nobody["queue"] == "gpu" and "waits in the queue" in nobody["reason"]


def test_queues_api_reports_answering_workers_to_admins_only(admin_client, api_client, annotator, monkeypatch):
    from webapp.health import services as health

    monkeypatch.setattr(health, "answering_queues", lambda timeout: {"cpu": True, "gpu": False})
    body = admin_client.get("/api/training/queues/").json()
    assert body["answering"] == {"cpu": True, "gpu": False} and body["defaults"]["queue"] == "cpu"
    api_client.force_authenticate(annotator)
    assert api_client.get("/api/training/queues/").status_code == 403


def test_no_worker_means_no_queue_answers():
    from webapp.health.services import answering_queues

    assert answering_queues(timeout=0.3) == {"cpu": False, "gpu": False}


def test_the_run_page_draws_its_curves_on_the_server(client, admin_user):
    """Server-side SVG, as every chart of the site: a polyline per figure, a point per epoch, and the
    same fragment for the page's script to swap in when a new epoch arrives."""
    history = [{"epoch": e, "train_loss": 2.0 / e, "accuracy": 0.2 * e, "macro_f1": 0.1 * e} for e in (1, 2, 3)]
    run = TrainingRun.objects.create(name="curves", label_sources=["original"], architecture="simple_cnn",
                                     status="done", history=history, config={}, created_by=admin_user)  # fmt: skip
    client.force_login(admin_user)
    page = client.get(f"/training/runs/{run.pk}/").content.decode()
    fragment = client.get(f"/training/runs/{run.pk}/curves/").content.decode()
    for html in (page, fragment):
        assert html.count('class="line line-train_loss"') == 1 and html.count('class="line line-accuracy"') == 1
        assert html.count('class="dot dot-train_loss"') == 3 and html.count('class="dot dot-macro_f1"') == 3
        assert "Validation accuracy and macro-F1 per epoch" in html
    assert 'id="curves" data-epochs="3" data-status="done"' in fragment


def test_curve_points_follow_the_values():
    from webapp.training.charts import BOTTOM, HEIGHT, TOP, curve

    chart = curve([{"epoch": 1, "accuracy": 0.0}, {"epoch": 2, "accuracy": 1.0}], ("accuracy",), (0.0, 1.0))
    (line,) = chart["lines"]
    (x1, y1), (x2, y2) = (tuple(map(float, p.split(","))) for p in line["points"].split())
    assert x1 < x2 and y1 == HEIGHT - BOTTOM and y2 == TOP  # 0 at the bottom axis, 1 at the top
    assert (chart["low"], chart["high"], chart["last_epoch"]) == ("0.000", "1.000", 2)


def test_only_admins_see_the_curves(client, annotator):
    client.force_login(annotator)
    assert client.get("/training/runs/1/curves/").status_code == 403
