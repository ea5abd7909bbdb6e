"""Predictions on dataset items, the browser's filters, item detail, and exports read back by the importers."""

import csv
import io
import zipfile

import pytest

from ml.checkpoint import load_checkpoint
from ml.data import load_faceset
from ml.evaluation.evaluate import predict
from ml.taxonomy import EMOTIONS
from tests.archives import FER2013_SMALL, FERPLUS_SMALL, FIXTURES, zip_folder
from tests.fakes import fake_sends
from webapp.datasets import selectors
from webapp.datasets.importing import run_import
from webapp.datasets.models import Dataset, ImportJob, Item, ItemPrediction, Label, PredictionJob
from webapp.datasets.predicting import entropy_bits, run_prediction

pytestmark = pytest.mark.django_db


@pytest.fixture
def fer_small(post_import, tmp_path) -> Dataset:
    response = post_import(zip_folder(FER2013_SMALL, tmp_path / "fer.zip"), name="fer-small")
    return run_import(response.json()["id"]).dataset


@pytest.fixture
def queued_predictions(monkeypatch):
    from webapp.datasets.tasks import predict_dataset

    return fake_sends(monkeypatch, [predict_dataset])


@pytest.fixture
def predicted(fer_small, admin_client, queued_predictions, django_capture_on_commit_callbacks) -> PredictionJob:
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/api/datasets/{fer_small.pk}/predict/")
    assert response.status_code == 202, response.json()
    return run_prediction(response.json()["id"])


def test_predict_classifies_every_item_once(predicted, fer_small, queued_predictions):
    assert queued_predictions == [([predicted.pk], "cpu")]
    assert (predicted.status, predicted.processed, predicted.total) == ("done", 21, 21)
    predictions = ItemPrediction.objects.filter(item__dataset=fer_small)
    assert predictions.count() == 21
    for p in predictions:
        assert sum(p.probs.values()) == pytest.approx(1, abs=1e-3)
        assert p.emotion == max(p.probs, key=p.probs.get) and p.top_probability == pytest.approx(
            p.probs[p.emotion], abs=1e-4
        )
        assert -1 <= p.valence <= 1 and p.va_source == "learned"  # the bundled default's V/A head
    # the same numbers as ml.evaluation.predict on the fixture files read by the training reader
    checkpoint = load_checkpoint(predicted.model_version.path)
    for split in ("train", "val"):
        faces = load_faceset(str(FER2013_SMALL), split=split, size=checkpoint.input_size)
        expected = checkpoint.label_set.to_canonical(predict(checkpoint, faces.images))
        for name, probs in zip(faces.names, expected, strict=True):
            stored = predictions.get(item__source_name=name)
            assert [stored.probs[e] for e in EMOTIONS] == pytest.approx(probs.tolist(), abs=1e-4), name


def test_predicting_again_is_idempotent(predicted):
    PredictionJob.objects.filter(pk=predicted.pk).update(status="running")  # as if the worker had died
    again = run_prediction(predicted.pk)
    assert (again.status, again.processed) == ("done", 21)
    assert ItemPrediction.objects.count() == 21


def test_predict_api_refusals(fer_small, api_client, annotator, admin_client, queued_predictions):
    api_client.force_authenticate(annotator)
    assert api_client.post(f"/api/datasets/{fer_small.pk}/predict/").status_code == 403
    assert admin_client.post("/api/datasets/99999/predict/").status_code == 404
    empty = Dataset.objects.create(name="empty", format="class_folders")
    response = admin_client.post(f"/api/datasets/{empty.pk}/predict/")
    assert response.status_code == 400 and "no items" in response.json()["error"]["message"]
    first = admin_client.post(f"/api/datasets/{fer_small.pk}/predict/").json()
    second = admin_client.post(f"/api/datasets/{fer_small.pk}/predict/").json()
    assert first["id"] == second["id"] and PredictionJob.objects.count() == 1
    assert admin_client.get(f"/api/prediction-jobs/{first['id']}/").json()["status"] == "pending"
    assert api_client.get(f"/api/prediction-jobs/{first['id']}/").status_code == 403
    assert admin_client.get("/api/prediction-jobs/99999/").status_code == 404


def test_entropy_bits():
    assert entropy_bits([1.0] + [0.0] * 7) == 0
    assert entropy_bits([1 / 8] * 8) == pytest.approx(3.0)


def test_item_filters(predicted, fer_small, admin_client):
    url = f"/api/datasets/{fer_small.pk}/items/"
    items = admin_client.get(url, {"disagrees": "true", "page_size": 100}).json()
    wrong = {p.item_id for p in ItemPrediction.objects.all() if p.emotion != p.item.labels.get().emotion}
    assert {i["id"] for i in items["results"]} == wrong and items["count"] == len(wrong)
    assert all(i["predicted"] != i["emotion"] for i in items["results"])
    unlabeled = Item.objects.first()
    Label.objects.create(item=unlabeled, source="correction", emotion=None, valence=0.1, arousal=0.1)
    assert admin_client.get(url, {"labeled": "no"}).json()["count"] == 0  # the original emotion still counts
    Label.objects.filter(item=unlabeled, source="original").delete()
    no_label = admin_client.get(url, {"labeled": "no"}).json()
    assert [i["id"] for i in no_label["results"]] == [unlabeled.pk]
    assert admin_client.get(url, {"labeled": "yes"}).json()["count"] == 20
    for bad in ({"labeled": "maybe"}, {"emotion": "joy"}, {"disagrees": "often"}):
        response = admin_client.get(url, bad)
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"


def test_item_detail_api_and_page(predicted, admin_client, client, admin_user):
    item = Item.objects.first()
    body = admin_client.get(f"/api/items/{item.pk}/").json()
    assert len(body["labels"]) == 1 and len(body["predictions"]) == 1
    assert body["predictions"][0]["model_version"] == predicted.model_version.tag
    assert admin_client.get("/api/items/99999/").status_code == 404
    client.force_login(admin_user)
    page = client.get(f"/datasets/items/{item.pk}/").content.decode()
    assert "Model predictions" in page and predicted.model_version.tag in page
    assert "<circle " not in page  # FER items have no landmarks to draw


def test_dataset_page_filters_and_admin_controls(predicted, fer_small, client, admin_user, annotator):
    client.force_login(admin_user)
    page = client.get(f"/datasets/{fer_small.pk}/", {"disagrees": "true", "labeled": "yes"}).content.decode()
    wrong = sum(p.emotion != p.item.labels.get().emotion for p in ItemPrediction.objects.all())
    assert f"{wrong} items" in page and "Predict with active model" in page and "class-folders.zip" in page
    assert "model: " in page and page.count('<li class="disagrees">') == wrong  # each disagreement outlined
    assert '<span class="label">label: ' in page  # label and model on their own lines, not run together
    ignored = client.get(f"/datasets/{fer_small.pk}/", {"labeled": "maybe"})
    assert ignored.status_code == 200 and "not understood" in ignored.content.decode()
    client.force_login(annotator)
    assert client.get(f"/datasets/{fer_small.pk}/").status_code == 403  # datasets are admins' only
    assert client.post(f"/datasets/{fer_small.pk}/predict/").status_code == 403
    assert not PredictionJob.objects.exclude(pk=predicted.pk).exists()


def test_predict_button_queues_a_job(
    fer_small, client, admin_user, queued_predictions, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/datasets/{fer_small.pk}/predict/", follow=True)
    assert "Predicting 21 items" in response.content.decode()
    assert len(queued_predictions) == 1
    assert client.get(f"/datasets/{fer_small.pk}/predict/").status_code == 405


# ---- exports ----------------------------------------------------------------------------------


def _download(client, dataset, kind) -> bytes:
    response = client.get(f"/api/datasets/{dataset.pk}/export/{kind}")
    assert response.status_code == 200, response
    assert response.streaming and kind in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def _reimport(post_import, tmp_path, data: bytes, name: str, format: str, suffix: str) -> ImportJob:
    path = tmp_path / f"{name}{suffix}"
    path.write_bytes(data)
    response = post_import(path, name=name, format=format)
    assert response.status_code == 202, response.json()
    return run_import(response.json()["id"])


def test_class_folder_zip_export_reads_back(fer_small, admin_client, post_import, tmp_path):
    data = _download(admin_client, fer_small, "class-folders.zip")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert len(names) == 21 and "val/happy/" in "".join(names)
    job = _reimport(post_import, tmp_path, data, "again", "class_folders", ".zip")
    assert (job.imported, job.error_count) == (21, 0)
    assert selectors.class_histogram(job.dataset) == selectors.class_histogram(fer_small)


def test_fer2013_csv_export_reads_back(fer_small, admin_client, post_import, tmp_path):
    contempt = Item.objects.filter(dataset=fer_small).first()
    Label.objects.create(item=contempt, source="correction", emotion="contempt")  # FER-2013 has no contempt
    data = _download(admin_client, fer_small, "fer2013.csv")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert len(rows) == 20 and {r["Usage"] for r in rows} == {"Training", "PublicTest"}
    job = _reimport(post_import, tmp_path, data, "csv-again", "fer2013_csv", ".csv")
    assert (job.imported, job.error_count) == (20, 0)
    expected = selectors.class_histogram(fer_small)  # the corrected item now counts as contempt...
    expected[contempt.split].pop("contempt")  # ...which FER-2013 cannot hold
    assert selectors.class_histogram(job.dataset) == expected
    # pixels survive: the 20 exported items' images decode to the same 48x48 grey arrays
    exported = {_pixels(i) for i in Item.objects.filter(dataset=job.dataset)}
    kept = {_pixels(i) for i in Item.objects.filter(dataset=fer_small).exclude(pk=contempt.pk)}
    assert exported == kept


def _pixels(item: Item) -> bytes:
    from PIL import Image

    with item.image.open("rb") as handle, Image.open(handle) as image:
        return image.convert("L").tobytes()


def test_ferplus_export_keeps_votes(post_import, admin_client, tmp_path):
    response = post_import(zip_folder(FERPLUS_SMALL, tmp_path / "fp.zip"), name="fp", format="ferplus")
    dataset = run_import(response.json()["id"]).dataset
    data = _download(admin_client, dataset, "ferplus-label.csv").decode()
    exported = [row[2:] for row in csv.reader(io.StringIO(data))]
    with open(FERPLUS_SMALL / "FER2013Valid" / "label.csv") as handle:
        original = [row[2:] for row in csv.reader(handle)]
    assert sorted(exported) == sorted(original)


def test_affectnet_export_reads_back(post_import, admin_client, tmp_path):
    response = post_import(zip_folder(FIXTURES / "affectnet_small", tmp_path / "an.zip"), name="an", format="affectnet")
    dataset = run_import(response.json()["id"]).dataset
    data = _download(admin_client, dataset, "affectnet.csv").decode()
    rows = list(csv.DictReader(io.StringIO(data)))
    assert len(rows) == 7
    first = next(r for r in rows if r["valence"] == "0.762")
    assert (first["expression"], first["arousal"], first["face_width"]) == ("1", "0.254", "141")
    assert len(first["facial_landmarks"].split(";")) == 136
    uncertain = next(r for r in rows if r["expression"] == "8")
    assert (uncertain["valence"], uncertain["arousal"]) == ("-0.3", "0.6")
    assert any(r["valence"] == "-2.0" for r in rows)  # the row without V/A


def test_export_refusals(fer_small, admin_client, api_client, annotator, client, admin_user):
    assert admin_client.get(f"/api/datasets/{fer_small.pk}/export/secrets.txt").status_code == 404
    assert admin_client.get("/api/datasets/99999/export/fer2013.csv").status_code == 404
    api_client.force_authenticate(annotator)
    assert api_client.get(f"/api/datasets/{fer_small.pk}/export/fer2013.csv").status_code == 403
    client.force_login(admin_user)
    page = client.get(f"/datasets/{fer_small.pk}/export/class-folders.zip")
    assert (
        page.status_code == 200 and len(zipfile.ZipFile(io.BytesIO(b"".join(page.streaming_content))).namelist()) == 21
    )
    assert client.get(f"/datasets/{fer_small.pk}/export/nothing.csv").status_code == 404


def test_facial_keypoints_export_reads_back(post_import, admin_client, tmp_path):
    source = FIXTURES / "facial_keypoints_small.csv"
    response = post_import(source, name="kp", format="facial_keypoints")
    dataset = run_import(response.json()["id"]).dataset
    data = _download(admin_client, dataset, "facial-keypoints.csv")
    assert data.decode().splitlines()[0] == source.read_text().splitlines()[0]  # Kaggle's header
    job = _reimport(post_import, tmp_path, data, "kp-again", "facial_keypoints", ".csv")
    assert (job.imported, job.error_count) == (4, 0)
    before = [label.keypoints for label in Label.objects.filter(item__dataset=dataset).order_by("item_id")]
    after = [label.keypoints for label in Label.objects.filter(item__dataset=job.dataset).order_by("item_id")]
    for old, new in zip(before, after, strict=True):
        assert [p is None for p in old] == [p is None for p in new]
        assert all(p is None or q == pytest.approx(p, abs=1e-2) for p, q in zip(old, new, strict=True))
