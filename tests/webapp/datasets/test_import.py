"""Dataset imports: from upload to items and original labels, with bad input kept out."""

import csv
import zipfile

import numpy as np
import pytest
from django.contrib.auth import get_user_model

from tests.archives import FER2013_SMALL, FERPLUS_SMALL, fer2013_csv, zip_folder
from webapp.datasets import selectors
from webapp.datasets.importing import run_import
from webapp.datasets.models import Dataset, ImportJob, Item, Label

pytestmark = pytest.mark.django_db
CLASSES = ["anger", "disgust", "fear", "happy", "neutral", "sad", "surprise"]


def _import(post_import, path, **kwargs) -> ImportJob:
    response = post_import(path, **kwargs)
    assert response.status_code == 202, response.json()
    return run_import(response.json()["id"])


def test_class_folder_zip_is_queued_then_imported(post_import, queued, tmp_path, settings):
    response = post_import(zip_folder(FER2013_SMALL, tmp_path / "fer.zip", prefix="fer2013/"))
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending" and body["dataset"] == "fer-small"
    assert queued == [([body["id"]], "cpu")]

    job = run_import(body["id"])
    assert (job.status, job.total, job.imported, job.duplicates, job.error_count) == ("done", 21, 21, 0, 0)
    dataset = Dataset.objects.get(name="fer-small")
    assert selectors.class_histogram(dataset) == {"train": dict.fromkeys(CLASSES, 2), "val": dict.fromkeys(CLASSES, 1)}
    item = Item.objects.filter(dataset=dataset).first()
    assert (item.width, item.height) == (48, 48)
    assert (settings.MEDIA_ROOT / item.image.name).read_bytes()[:2] == b"\xff\xd8"
    assert item.labels.get().source == Label.Source.ORIGINAL


def test_bad_rows_are_reported_and_the_rest_imported(post_import, tmp_path):
    good = next((FER2013_SMALL / "train" / "happy").glob("*.jpg")).read_bytes()
    extra = {
        "train/happy/copy-of-a-happy-face.jpg": good,  # same bytes as a fixture: a duplicate
        "train/happy/truncated.jpg": good[:300],
        "train/misc/face.jpg": good[::-1],
        "train/sad/notes.jpg": b"not an image at all",
        "loose.jpg": good,
    }
    job = _import(post_import, zip_folder(FER2013_SMALL, tmp_path / "fer.zip", extra=extra))
    assert job.status == "done"
    assert (job.imported, job.duplicates, job.error_count) == (21, 1, 4)
    messages = {e["where"]: e["message"] for e in job.errors}
    assert "corrupt image" in messages["train/happy/truncated.jpg"]
    assert "unknown emotion name 'misc'" in messages["train/misc/face.jpg"]
    assert "not an image" in messages["train/sad/notes.jpg"]
    assert "folder named after their class" in messages["loose.jpg"]


def test_running_a_job_twice_stores_nothing_twice(post_import, tmp_path):
    job = _import(post_import, zip_folder(FER2013_SMALL, tmp_path / "fer.zip"))
    again = _rerun(job)
    assert (again.imported, again.duplicates) == (21, 0)
    assert Item.objects.count() == 21 and Label.objects.count() == 21


def _rerun(job: ImportJob) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)  # as if the worker had died
    return run_import(job.pk)


def test_a_second_import_into_the_same_dataset_finds_duplicates(post_import, tmp_path):
    _import(post_import, zip_folder(FER2013_SMALL, tmp_path / "a.zip"))
    second = _import(post_import, zip_folder(FER2013_SMALL, tmp_path / "b.zip", prefix="again/"))
    assert (second.imported, second.duplicates) == (0, 21)


def test_ferplus_votes_and_majority_labels(post_import, tmp_path):
    job = _import(post_import, zip_folder(FERPLUS_SMALL, tmp_path / "ferplus.zip"), name="fp", format="ferplus")
    assert (job.imported, job.error_count) == (19, 0)
    columns = ["neutral", "happy", "surprise", "sad", "anger", "disgust", "fear", "contempt", "unknown", "not_face"]
    with open(FERPLUS_SMALL / "FER2013Valid" / "label.csv") as handle:
        for row in csv.reader(handle):
            votes = [int(v) for v in row[2:]]
            label = Label.objects.get(item__source_name=f"FER2013Valid/{row[0]}")
            assert label.votes == dict(zip(columns, votes, strict=True))
            top = columns[int(np.argmax(votes))]  # FER+'s majority; ties to the earlier column
            assert label.emotion == (top if top not in ("unknown", "not_face") else None)
            assert label.item.split == "val"


def test_fer2013_csv_with_bad_rows(post_import, tmp_path):
    bad_rows = [("9", "1 2 3 4", "Training"), ("3", "1 2 3", "Training"), ("3", "1 2 3 4", "Someday"), ("3",)]
    job = _import(post_import, fer2013_csv(tmp_path / "fer.csv", bad_rows), name="csv", format="fer2013_csv")
    assert (job.imported, job.error_count) == (3, 4)
    assert [e["message"] for e in job.errors] == [
        "unknown FER-2013 emotion code '9'; expected 0..6",
        "expected 2304 pixel values, got 3",
        "unknown Usage 'Someday'; expected Training, PublicTest or PrivateTest",
        "row has too few columns (1 of 3)",
    ]
    splits = dict(Item.objects.values_list("split", "labels__emotion"))
    assert splits == {"train": "happy", "val": "anger", "test": "neutral"}


@pytest.mark.parametrize(
    ("make_file", "format", "message"),
    [
        (lambda p: p.joinpath("x.zip").write_bytes(b"PK\x03\x04garbage") and p / "x.zip", "class_folders", "zip"),
        (lambda p: fer2013_csv(p / "f.csv"), "class_folders", "take a zip archive"),
        (lambda p: zip_folder(FER2013_SMALL, p / "f.zip"), "fer2013_csv", "not a zip"),
        (lambda p: p.joinpath("h.csv").write_text("label,image\n1,2\n") and p / "h.csv", "fer2013_csv", "missing"),
        (lambda p: zip_folder(FER2013_SMALL, p / "f.zip"), "ferplus", "no label.csv found"),
        (lambda p: zip_folder(FERPLUS_SMALL, p / "e.zip", extra={"evil/../../x.jpg": b"x"}), "ferplus", "'..'"),
    ],
)
def test_wrong_files_are_refused_and_leave_nothing(post_import, tmp_path, settings, make_file, format, message):
    response = post_import(make_file(tmp_path), name="broken", format=format)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and message in error["message"]
    assert not Dataset.objects.exists() and not ImportJob.objects.exists()
    assert not list((settings.MEDIA_ROOT / "imports").glob("*"))


def test_importing_other_data_into_a_dataset_of_another_format_is_refused(post_import, tmp_path):
    _import(post_import, zip_folder(FER2013_SMALL, tmp_path / "a.zip"), name="mixed")
    response = post_import(fer2013_csv(tmp_path / "f.csv"), name="mixed", format="fer2013_csv")
    assert response.status_code == 400 and "holds class_folders data" in response.json()["error"]["message"]


def test_only_admins_import(api_client, annotator, tmp_path):
    path = zip_folder(FER2013_SMALL, tmp_path / "fer.zip")
    with open(path, "rb") as handle:
        assert (
            api_client.post("/api/imports/", {"name": "x", "format": "class_folders", "file": handle}).status_code
            == 401
        )
    api_client.force_authenticate(annotator)
    with open(path, "rb") as handle:
        assert (
            api_client.post("/api/imports/", {"name": "x", "format": "class_folders", "file": handle}).status_code
            == 403
        )


def test_upload_size_limit(post_import, tmp_path, settings):
    settings.APP = {**settings.APP, "MAX_IMPORT_BYTES": 1000}
    response = post_import(zip_folder(FER2013_SMALL, tmp_path / "fer.zip"))
    assert response.status_code == 400 and "import limit is 1,000" in response.json()["error"]["message"]


def test_dataset_and_item_api(post_import, admin_client, tmp_path):
    job = _import(post_import, zip_folder(FER2013_SMALL, tmp_path / "fer.zip"))
    listing = admin_client.get("/api/datasets/").json()
    assert [(d["name"], d["item_count"]) for d in listing["results"]] == [("fer-small", 21)]
    detail = admin_client.get(f"/api/datasets/{job.dataset_id}/").json()
    assert detail["histogram"]["val"] == dict.fromkeys(CLASSES, 1)
    items = admin_client.get(f"/api/datasets/{job.dataset_id}/items/?split=train&emotion=happy").json()
    assert items["count"] == 2
    assert {i["labels"][0]["source"] for i in items["results"]} == {"original"}
    assert items["results"][0]["image_url"] == f"/datasets/items/{items['results'][0]['id']}/image"
    progress = admin_client.get(f"/api/imports/{job.pk}/").json()
    assert progress["progress"] == 1.0 and progress["status"] == "done"


def test_imported_images_are_served_to_admins_only_and_media_is_not_public(post_import, client, tmp_path):
    job = _import(post_import, zip_folder(FER2013_SMALL, tmp_path / "fer.zip"))
    item = Item.objects.first()
    # The stored files exist, but no public URL reaches them: not the item image, not the import itself.
    assert client.get(f"/media/{item.image.name}").status_code == 404
    assert client.get(f"/media/{ImportJob.objects.get(pk=job.pk).source.name}").status_code == 404
    assert client.get(f"/datasets/items/{item.pk}/image").status_code == 302  # to the login page
    client.force_login(get_user_model().objects.create_user("someone", password="pw-someone-1"))
    assert client.get(f"/datasets/items/{item.pk}/image").status_code == 403
    client.force_login(get_user_model().objects.get(username="boss"))
    response = client.get(f"/datasets/items/{item.pk}/image")
    assert response.status_code == 200 and response.content[:2] == b"\xff\xd8"
    for outside in ("/media/../../etc/passwd", "/media/%2e%2e/secret_key"):
        assert client.get(outside).status_code == 404  # no route serves stored files by path


def test_an_unexpected_error_fails_the_job_instead_of_leaving_it_running(post_import, tmp_path, monkeypatch):
    from webapp.datasets import importing

    response = post_import(zip_folder(FER2013_SMALL, tmp_path / "fer.zip"))
    monkeypatch.setattr(importing, "_store_item", lambda *args: (_ for _ in ()).throw(RuntimeError("disk on fire")))
    with pytest.raises(RuntimeError):
        run_import(response.json()["id"])
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.message == "unexpected error: RuntimeError: disk on fire"


def test_ferplus_ties_follow_the_training_reader(tmp_path):
    """A surprise/sadness tie goes to surprise (the earlier FER+ column), as in ml.data.ferplus."""
    from webapp.datasets.archive import SafeZip
    from webapp.datasets.records import ferplus_records

    image = next((FERPLUS_SMALL / "FER2013Valid").glob("*.png")).read_bytes()
    rows = 'tie.png,"(0, 0, 48, 48)",0,0,3,3,0,0,0,0,1,0\nbad.png,"(0, 0, 48, 48)",1,-2,0,0,0,0,0,0,0,0\n'
    path = tmp_path / "tie.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("FER2013Valid/label.csv", rows)
        archive.writestr("FER2013Valid/tie.png", image)
        archive.writestr("FER2013Valid/bad.png", image)
    with SafeZip(path) as archive:
        tie, bad = list(ferplus_records(archive))
    assert tie.emotion == "surprise" and tie.votes["surprise"] == tie.votes["sad"] == 3
    assert bad.error == "vote counts cannot be negative"
