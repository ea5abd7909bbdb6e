"""A run trained in this process (no broker): lease, progress, registration, evaluations, cancel."""

import datetime as dt

import pytest
from django.utils import timezone

from webapp.modelzoo.models import Evaluation, ModelVersion
from webapp.training import running, services
from webapp.training.models import TrainingRun

pytestmark = pytest.mark.django_db(transaction=True)  # the heartbeat thread has its own connection

TINY = {"epochs": 2, "batch_size": 8, "lr": 0.003, "input_size": 48, "channels": 1, "seed": 0}


def make_run(datasets, **config) -> TrainingRun:
    run = TrainingRun.objects.create(
        name="tiny", label_sources=["original"], architecture="simple_cnn", config={**TINY, **config}
    )
    run.datasets.set(datasets)
    return run


@pytest.mark.slow
def test_a_run_trains_registers_and_evaluates_on_every_compatible_dataset(fer2013, ferplus):
    run = make_run([fer2013])
    claimed = services.claim(run.pk, "me", "host-a", running.device_description())

    assert running.execute(claimed, "me") == "done"

    run.refresh_from_db()
    assert (run.status, run.epoch, run.progress, run.attempts, run.lease_owner) == ("done", 2, 1.0, 1, "")
    assert [h["epoch"] for h in run.history] == [1, 2]
    assert run.data_summary["counts"]["train"]["happy"] == 5
    assert "starting at epoch 1 of 2" in run.log_tail and "registered model version" in run.log_tail
    version = run.model_version
    assert version.source == ModelVersion.Source.TRAINED and version.path.is_file()
    assert version.architecture == "simple_cnn" and version.label_set == "fer2013_7" and not version.is_active
    assert version.cpu_latency_ms > 0
    evaluations = {e.dataset.name: e for e in Evaluation.objects.filter(model_version=version)}
    assert set(evaluations) == {"fer2013-tiny", "ferplus-tiny"}
    held_out = evaluations["fer2013-tiny"]
    assert held_out.split == "val" and held_out.metrics["num_items"] == 7
    assert sum(map(sum, held_out.confusion)) == 7 and set(held_out.per_class) == set(held_out.classes)
    # FER+ has contempt, which a FER-2013 model lacks: those faces are counted as dropped, not scored.
    assert evaluations["ferplus-tiny"].split == "val" and "items_dropped" in evaluations["ferplus-tiny"].metrics


def test_a_second_copy_waits_for_a_live_lease_and_takes_over_an_expired_one(fer2013):
    run = make_run([fer2013])
    services.claim(run.pk, "first", "host-a", "cpu")
    with pytest.raises(services.LeaseHeld) as held:
        services.claim(run.pk, "second", "host-b", "cpu")
    assert held.value.owner == "first" and 0 < held.value.seconds_left <= services.LEASE_SECONDS

    TrainingRun.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - dt.timedelta(seconds=1))
    taken = services.claim(run.pk, "second", "host-b", "cpu")
    assert (taken.lease_owner, taken.attempts, taken.worker_host) == ("second", 2, "host-b")
    assert not services.renew_lease(run.pk, "first")  # the dead worker, if it wakes, has lost the run


def test_a_finished_run_is_never_taken_up_again(fer2013):
    run = make_run([fer2013])
    services.claim(run.pk, "me", "host", "cpu")
    services.finish(run.pk, "me", TrainingRun.Status.DONE)
    assert services.claim(run.pk, "other", "host", "cpu") is None


@pytest.mark.slow
def test_a_resumed_run_continues_after_its_last_checkpoint(fer2013):
    run = make_run([fer2013], epochs=1)
    assert running.execute(services.claim(run.pk, "a", "h", "cpu"), "a") == "done"
    # The same run folder with more epochs, as if the worker had died after epoch 1 of 3.
    TrainingRun.objects.filter(pk=run.pk).update(status="running", config={**TINY, "epochs": 3})
    (services.run_dir(run) / running.TRAINED_MARKER).unlink()
    run.refresh_from_db()

    assert running.execute(services.claim(run.pk, "b", "h", "cpu"), "b") == "done"

    run.refresh_from_db()
    assert run.resumed_from_epoch == 2 and [h["epoch"] for h in run.history] == [1, 2, 3]
    assert "resuming from checkpoint of epoch 1: continuing at epoch 2 of 3" in run.log_tail


def test_cancel_stops_the_loop_at_its_next_step(fer2013, monkeypatch):
    monkeypatch.setattr(services, "HEARTBEAT_SECONDS", 0.05)
    run = make_run([fer2013], epochs=200)
    claimed = services.claim(run.pk, "me", "host", "cpu")
    TrainingRun.objects.filter(pk=run.pk).update(cancel_requested=True)

    assert running.execute(claimed, "me") == "cancelled"

    run.refresh_from_db()
    assert run.status == "cancelled" and run.message == "cancelled by an admin" and run.epoch < 200
    assert run.model_version is None and not ModelVersion.objects.filter(source="trained").exists()


def test_bad_settings_fail_the_run_with_a_message(fer2013):
    run = make_run([fer2013], input_size=16)  # below every architecture's minimum
    assert running.execute(services.claim(run.pk, "me", "host", "cpu"), "me") == "failed"
    run.refresh_from_db()
    assert run.status == "failed" and "input_size >= 32" in run.message and run.lease_owner == ""


@pytest.mark.slow
def test_task_both_trains_a_valence_arousal_head_and_reports_its_ccc(fer2013):
    run = make_run([fer2013], epochs=1)
    TrainingRun.objects.filter(pk=run.pk).update(task=TrainingRun.Task.BOTH)
    run.refresh_from_db()
    assert running.execute(services.claim(run.pk, "me", "host", "cpu"), "me") == "done"
    run.refresh_from_db()
    assert run.model_version.va_head and "va_ccc" in run.history[0] and "accuracy" in run.history[0]


def run_task(datasets, task, **config) -> TrainingRun:
    """A one-epoch run of `task`, trained and evaluated here."""
    run = make_run(datasets, epochs=1, **config)
    TrainingRun.objects.filter(pk=run.pk).update(task=task)
    run.refresh_from_db()
    assert running.execute(services.claim(run.pk, "me", "host", "cpu"), "me") == "done", run.message
    run.refresh_from_db()
    return run


@pytest.mark.slow
def test_task_va_trains_on_annotated_va_and_is_evaluated_on_it(affectnet, fer2013):
    from tests.webapp.training.conftest import hold_out

    hold_out(affectnet)
    run = run_task([affectnet], "va", batch_size=4)

    assert run.data_summary["layout"] == "affectnet_csv" and run.data_summary["va_items"] == {"train": 3, "val": 2}
    assert "va_ccc" in run.history[0] and "accuracy" not in run.history[0]
    version = run.model_version
    assert version.va_head and version.va_learned  # trained on annotated V/A, so predictions say "learned"
    # Measured only where V/A is annotated: not on FER-2013, whose V/A could only be derived from its classes.
    [evaluation] = Evaluation.objects.filter(model_version=version)
    assert (evaluation.dataset, evaluation.split, evaluation.metrics["va_evaluated"]) == (affectnet, "val", 2)
    assert {"va_rmse", "valence_pearson", "arousal_ccc", "valence_sign_agreement"} <= set(evaluation.metrics)
    assert evaluation.confusion == [] and evaluation.confusion_png == ""
    assert "evaluated on affectnet-tiny/val: va_ccc" in run.log_tail


@pytest.mark.slow
def test_task_keypoints_trains_on_kaggle_keypoints_and_reports_their_rmse(facial_keypoints, fer2013):
    from tests.webapp.training.conftest import hold_out

    hold_out(facial_keypoints)
    run = run_task([facial_keypoints], "keypoints", batch_size=2)

    assert run.data_summary["layout"] == "facial_keypoints_csv" and run.data_summary["num_keypoints"] == 15
    assert run.history[0]["keypoint_rmse"] > 0 and "accuracy" not in run.history[0]
    [evaluation] = Evaluation.objects.filter(model_version=run.model_version)
    assert (evaluation.dataset, evaluation.split) == (facial_keypoints, "val")
    assert evaluation.metrics["keypoint_rmse"] > 0 and evaluation.metrics["keypoints_evaluated"] == 15


@pytest.mark.slow
def test_task_both_learns_annotated_va_where_the_data_has_it(affectnet):
    from tests.webapp.training.conftest import hold_out

    hold_out(affectnet)
    run = run_task([affectnet], "both", batch_size=4)

    assert run.data_summary["layout"] == "affectnet_csv" and run.model_version.va_learned
    [evaluation] = Evaluation.objects.filter(model_version=run.model_version)
    assert "accuracy" in evaluation.metrics and evaluation.metrics["va_evaluated"] == 2


def test_a_run_whose_workers_kept_dying_is_failed_not_taken_up_again(fer2013):
    run = make_run([fer2013])
    gone = timezone.now() - dt.timedelta(minutes=1)
    runs = TrainingRun.objects.filter(pk=run.pk)
    runs.update(status="running", attempts=3, lease_owner="dead", lease_expires_at=gone)
    assert services.claim(run.pk, "next", "host", "cpu") is None
    run.refresh_from_db()
    assert run.status == "failed" and run.message.startswith("gave up after 3 attempts") and not run.lease_owner


def test_the_job_sweeper_resends_a_run_whose_lease_ran_out(fer2013, sent_tasks):
    from webapp.core import jobs
    from webapp.training.tasks import TRAINING

    run = make_run([fer2013])
    services.claim(run.pk, "dead", "host", "cpu")
    assert jobs.sweep([TRAINING]).resent == []  # its lease is live
    gone = timezone.now() - dt.timedelta(minutes=5)
    TrainingRun.objects.filter(pk=run.pk).update(lease_expires_at=gone, sent_at=gone)
    assert jobs.sweep([TRAINING]).resent == [("training run", run.pk)]
    assert sent_tasks == [("training.run", [run.pk], run.queue)]
