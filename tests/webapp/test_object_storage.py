"""Stored files in S3-compatible object storage: a real S3 server on 127.0.0.1 (moto's), no shared folder.

Each test stores into a fresh bucket (the `s3_storage` fixture sets STORAGES as FER_S3_BUCKET does)
and ends by checking that nothing at all was written under MEDIA_ROOT.
"""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from tests import object_storage as s3
from tests.archives import FER2013_SMALL, zip_folder
from tests.checkpoints import write_tiny_checkpoint
from tests.factories import dataset_from_fixture
from tests.fakes import fake_sends
from tests.webapp.training.conftest import AFFECTNET, KEYPOINTS
from tests.webapp.uploads.conftest import PHOTOS
from webapp.config import ConfigError, load_s3_config, storages_setting
from webapp.core.storage import is_local, store_file
from webapp.datasets.importing import run_import
from webapp.datasets.models import Dataset
from webapp.datasets.predicting import classifier_for
from webapp.modelzoo import evaluation, services
from webapp.modelzoo.models import ModelVersion
from webapp.training.materialize import materialize
from webapp.uploads.models import Upload
from worker.pipelines import pipeline_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nothing_under_media_root(s3_storage, media_root):
    """Every test here stores in the bucket; MEDIA_ROOT must stay empty (a worker elsewhere has none)."""
    yield
    written = [p for p in Path(media_root).rglob("*") if p.is_file()] if Path(media_root).exists() else []
    assert written == []


@pytest.fixture
def upload_of(monkeypatch, django_capture_on_commit_callbacks):
    """POST a photo to /api/uploads/ as `user`; its prediction runs here at commit, as a worker would run it."""
    from rest_framework.test import APIClient

    from webapp.uploads.tasks import predict_upload

    fake_sends(monkeypatch, [predict_upload], run=True)

    def post(user, photo: Path) -> Upload:
        client = APIClient()
        client.force_authenticate(user)
        with open(photo, "rb") as handle, django_capture_on_commit_callbacks(execute=True):
            response = client.post("/api/uploads/", {"image": handle}, format="multipart")
        assert response.status_code == 202, response.content
        return Upload.objects.get(pk=response.json()["id"])

    return post


def page_client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_settings_make_the_bucket_the_default_storage(s3_storage):
    assert not is_local() and type(default_storage._wrapped).__name__ == "S3Storage"
    options = storages_setting(s3_storage)["default"]["OPTIONS"]
    # Private: no ACL granted on any object, every URL signed and short-lived, nothing overwritten.
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["querystring_expire"] == 300 and options["file_overwrite"] is False
    boto = options["client_config"]  # bounded waits: a dead storage server costs seconds, not minutes
    assert (boto.connect_timeout, boto.read_timeout, boto.retries["max_attempts"]) == (5, 30, 3)


def test_an_upload_and_its_prediction_are_in_the_bucket_and_served_to_its_owner_only(
    s3_storage, django_user_model, upload_of
):
    alice = django_user_model.objects.create_user("alice", password="pw-alice-123")
    bob = django_user_model.objects.create_user("bob", password="pw-bob-123")
    upload = upload_of(alice, PHOTOS / "fer_two_faces.png")
    assert upload.status == "done" and upload.faces.count() == 2

    stored = s3.keys(s3_storage)
    face = upload.faces.first()
    assert {upload.image.name, face.crop.name, face.saliency.name} <= stored

    photo = page_client(alice).get(f"/gallery/{upload.pk}/photo")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert photo["Cache-Control"] == "private, max-age=3600"
    assert b"".join(photo.streaming_content) == (PHOTOS / "fer_two_faces.png").read_bytes()
    crop = page_client(alice).get(f"/gallery/faces/{face.pk}/crop.png")
    assert crop.status_code == 200 and b"".join(crop.streaming_content)[:4] == b"\x89PNG"

    assert page_client(bob).get(f"/gallery/{upload.pk}/photo").status_code == 404
    assert page_client(bob).get(f"/gallery/faces/{face.pk}/crop.png").status_code == 404
    assert page_client().get(f"/gallery/{upload.pk}/photo").status_code == 404  # another (anonymous) session


def test_a_stored_file_gone_from_the_bucket_is_a_404(s3_storage, django_user_model, upload_of):
    alice = django_user_model.objects.create_user("alice", password="pw-alice-123")
    upload = upload_of(alice, PHOTOS / "blank.png")
    s3.client(s3_storage).delete_object(Bucket=s3_storage.bucket, Key=upload.image.name)
    assert page_client(alice).get(f"/gallery/{upload.pk}/photo").status_code == 404


def test_an_imported_zip_lands_in_the_bucket_and_training_data_is_read_back(s3_storage, post_import, tmp_path):
    response = post_import(zip_folder(FER2013_SMALL, tmp_path / "fer.zip", prefix="fer2013/"))
    assert response.status_code == 202, response.json()
    job = run_import(response.json()["id"])
    assert (job.status, job.imported, job.error_count) == ("done", 21, 0)
    stored = s3.keys(s3_storage)
    assert job.source.name in stored  # the archive itself: a worker elsewhere reads it from the bucket
    items = list(Dataset.objects.get(name="fer-small").items.all())
    assert {item.image.name for item in items} <= stored

    data = materialize([job.dataset], ["original"], tmp_path / "data")
    written = sorted((tmp_path / "data").rglob("*.jpg"))
    assert sum(data.items.values()) == len(written) == 21
    by_id = {item.pk: item for item in items}
    for path in written:
        with by_id[int(path.stem)].image.open("rb") as handle:
            assert path.read_bytes() == handle.read()


def test_the_csv_layouts_read_their_images_from_the_bucket(s3_storage, tmp_path):
    affectnet = dataset_from_fixture(AFFECTNET, "affectnet-tiny", "affectnet")
    keypoints = dataset_from_fixture(KEYPOINTS, "keypoints-tiny", "facial_keypoints")
    assert {i.image.name for d in (affectnet, keypoints) for i in d.items.all()} <= s3.keys(s3_storage)

    va = materialize([affectnet], ["original"], tmp_path / "va", task="va")
    images = sorted((tmp_path / "va" / "train").iterdir())
    assert va.items == {"train": len(images)} and len(images) > 0
    for path in images:
        assert path.read_bytes() == affectnet.items.get(pk=int(path.stem)).image.read()
    points = materialize([keypoints], ["original"], tmp_path / "points", task="keypoints")
    rows = (tmp_path / "points" / "train.csv").read_text().splitlines()[1:]
    assert len(rows) == points.items["train"] and len(rows[0].rsplit(",", 1)[-1].split()) == 96 * 96


def trained_version(tmp_path, seed=5) -> ModelVersion:
    """A checkpoint stored in the bucket the way a training worker stores one, then gone from its disk."""
    best = write_tiny_checkpoint(tmp_path / "run" / f"run-{seed}-simple_cnn.pt", seed=seed)
    stored = store_file(best, f"models/trained/{best.name}")
    version, created = services.register_checkpoint(best, source="trained", stored_name=stored)
    assert created and version.checkpoint == stored
    best.unlink()  # the web server and other workers never saw this file
    return version


def test_a_checkpoint_in_the_bucket_is_loaded_by_the_workers_code(s3_storage, tmp_path, settings):
    version = trained_version(tmp_path)
    assert version.checkpoint in s3.keys(s3_storage) and version.checkpoint_exists()

    local = version.path  # downloaded once into the cache, keyed by the version's content hash
    assert local.is_file() and Path(settings.APP["CACHE_DIR"]) in local.parents
    # The photo prediction pipeline (uploads) and dataset predictions both load it.
    assert pipeline_for(version, settings.CONFIG.pipeline).model_version == version.tag
    assert classifier_for(version).version == version.tag

    services.promote(version)  # stored: it may become the active model
    other = trained_version(tmp_path, seed=7)
    services.promote(other)
    s3.client(s3_storage).delete_object(Bucket=s3_storage.bucket, Key=version.checkpoint)
    assert not version.checkpoint_exists()
    with pytest.raises(services.PromotionError, match="missing"):
        services.rollback()  # back to `version`, whose checkpoint is gone from the bucket


def test_an_evaluation_stores_its_confusion_matrix_in_the_bucket(s3_storage, tmp_path, admin_user):
    version = trained_version(tmp_path, seed=6)
    dataset = dataset_from_fixture(FER2013_SMALL, "fer-small", created_by=admin_user)
    (measured,) = evaluation.evaluate_version(version, [dataset])
    assert measured.confusion_png and measured.confusion_png in s3.keys(s3_storage)
    figure = page_client(admin_user).get(f"/leaderboard/evaluations/{measured.pk}/confusion.png")
    assert figure.status_code == 200 and b"".join(figure.streaming_content)[:4] == b"\x89PNG"


def test_s3_settings_are_checked_at_start_up():
    assert load_s3_config({}) is None
    minio = "http://minio:9000"
    config = load_s3_config({"FER_S3_BUCKET": "fer", "FER_S3_ENDPOINT_URL": minio, "FER_S3_PREFIX": "/x/"})
    assert (config.bucket, config.endpoint_url, config.prefix, config.access_key_id) == ("fer", minio, "x", None)
    with pytest.raises(ConfigError, match="FER_S3_ENDPOINT_URL must start with one of http://, https://"):
        load_s3_config({"FER_S3_BUCKET": "fer", "FER_S3_ENDPOINT_URL": "minio:9000"})
    with pytest.raises(ConfigError, match="set both or neither"):
        load_s3_config({"FER_S3_BUCKET": "fer", "FER_S3_ACCESS_KEY_ID": "key"})


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # the run's heartbeat thread has its own connection
def test_a_training_run_trains_on_the_bucket_and_stores_its_model_there(s3_storage, admin_user):
    from tests.webapp.training.conftest import FER2013
    from webapp.training import running
    from webapp.training import services as training
    from webapp.training.models import TrainingRun

    dataset = dataset_from_fixture(FER2013, "fer2013-tiny", created_by=admin_user)
    config = {"epochs": 1, "batch_size": 8, "input_size": 48, "channels": 1}
    run = TrainingRun.objects.create(name="tiny", label_sources=["original"], architecture="simple_cnn", config=config)
    run.datasets.set([dataset])
    claimed = training.claim(run.pk, "me", "host-a", running.device_description())
    assert running.execute(claimed, "me") == "done"

    version = TrainingRun.objects.get(pk=run.pk).model_version
    stored = s3.keys(s3_storage)
    assert version.checkpoint == f"models/trained/run-{run.pk}-simple_cnn.pt" and version.checkpoint in stored
    assert version.tag.startswith(f"run-{run.pk}-simple_cnn:")  # the same tag a local run gets
    figures = [e.confusion_png for e in version.evaluations.all()]
    assert figures and set(figures) <= stored
    assert not (training.run_dir(run) / "data").exists()  # downloaded faces do not stay on the worker


def test_health_names_the_bucket_and_says_when_it_is_gone(s3_storage, settings):
    from webapp.health.services import check_storage

    check = check_storage()
    assert check.ok and check.message == f"bucket {s3_storage.bucket} at {s3_storage.endpoint_url}"
    s3.client(s3_storage).delete_bucket(Bucket=s3_storage.bucket)
    gone = check_storage()
    assert not gone.ok and "404" in gone.message and gone.latency_ms < 5000


def test_while_the_storage_server_is_down_uploads_and_files_answer_503(s3_storage, settings, admin_user, upload_of):
    from dataclasses import replace

    from rest_framework.test import APIClient

    from tests.processes import free_port

    stored = upload_of(admin_user, PHOTOS / "blank.png")
    down = replace(s3_storage, endpoint_url=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    settings.STORAGES = storages_setting(down)
    client = APIClient()
    client.force_authenticate(admin_user)
    with open(PHOTOS / "blank.png", "rb") as handle:
        response = client.post("/api/uploads/", {"image": handle}, format="multipart")
    assert response.status_code == 503 and response.json()["error"]["code"] == "storage_unavailable"
    assert Upload.objects.count() == 1  # nothing half-stored
    assert page_client(admin_user).get(f"/gallery/{stored.pk}/photo").status_code == 503


def test_a_prefix_keeps_every_file_under_it(s3_storage, settings, admin_user, upload_of):
    from dataclasses import replace

    settings.STORAGES = storages_setting(replace(s3_storage, prefix="fer"))
    upload = upload_of(admin_user, PHOTOS / "fer_two_faces.png")
    stored = s3.keys(s3_storage)
    assert stored and all(key.startswith("fer/") for key in stored)
    assert f"fer/{upload.image.name}" in stored  # the name the database keeps is relative to the prefix
    assert page_client(admin_user).get(f"/gallery/{upload.pk}/photo").status_code == 200


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_run_taken_over_on_another_machine_resumes_from_the_bucket(s3_storage, admin_user, monkeypatch):
    """Worker A dies after epoch 1 of 3 and its disk goes with it; worker B fetches last.pt and goes on."""
    import datetime as dt
    import shutil

    from django.utils import timezone

    from tests.webapp.training.conftest import FER2013
    from webapp.training import running
    from webapp.training import services as training
    from webapp.training.models import TrainingRun

    dataset = dataset_from_fixture(FER2013, "fer2013-tiny", created_by=admin_user)
    config = {"epochs": 3, "batch_size": 8, "input_size": 48, "channels": 1, "seed": 0}
    run = TrainingRun.objects.create(name="tiny", label_sources=["original"], architecture="simple_cnn", config=config)
    run.datasets.set([dataset])

    report = running.Progress.__call__

    def machine_a_dies_after_epoch_1(self, epoch, step, loss, metrics, eta):
        report(self, epoch, step, loss, metrics, eta)
        if metrics:
            self.heartbeat.lost.set()  # as if the lease had gone: A stops without finishing the run
            raise running.RunStopped("the lease went to another worker")

    monkeypatch.setattr(running.Progress, "__call__", machine_a_dies_after_epoch_1)
    assert running.execute(training.claim(run.pk, "a", "host-a", "cpu"), "a") == "lost"
    assert {f"training/run-{run.pk}/last.pt", f"training/run-{run.pk}/best.pt"} <= s3.keys(s3_storage)

    monkeypatch.undo()
    shutil.rmtree(training.run_dir(run))  # machine B has none of A's files
    TrainingRun.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert running.execute(training.claim(run.pk, "b", "host-b", "cpu"), "b") == "done"

    run.refresh_from_db()
    assert run.resumed_from_epoch == 2 and [h["epoch"] for h in run.history] == [1, 2, 3]
    assert "fetched the run's last checkpoint from object storage" in run.log_tail
    assert not any(key.startswith(f"training/run-{run.pk}/") for key in s3.keys(s3_storage))  # done: forgotten
    assert run.model_version.checkpoint in s3.keys(s3_storage)
