"""AffectNet and facial-keypoints imports, and imports from a server path under IMPORT_ROOT."""

import shutil
import zipfile

import pytest

from tests.archives import FER2013_SMALL, FIXTURES, zip_folder
from webapp.datasets.importing import run_import
from webapp.datasets.models import Dataset, ImportJob, Item, Label

pytestmark = pytest.mark.django_db
AFFECTNET_SMALL = FIXTURES / "affectnet_small"
KEYPOINTS_CSV = FIXTURES / "facial_keypoints_small.csv"


def _import(post_import, path, **kwargs) -> ImportJob:
    response = post_import(path, **kwargs)
    assert response.status_code == 202, response.json()
    return run_import(response.json()["id"])


def test_affectnet_zip_becomes_face_crops_with_va_and_landmarks(post_import, tmp_path):
    archive = zip_folder(AFFECTNET_SMALL, tmp_path / "affectnet.zip", prefix="AffectNet/")
    job = _import(post_import, archive, name="an", format="affectnet")
    assert (job.status, job.total, job.imported, job.duplicates) == ("done", 8, 7, 0), job.errors
    # the blank photo's "non-face" row has no emotion and no V/A: reported, not stored
    assert [e["message"] for e in job.errors] == ["expression 10 (non-face) without valence/arousal: no label"]
    first = Label.objects.get(item__source_name__endswith="row 2 (101/two_faces.png)")
    assert (first.emotion, first.valence, first.arousal) == ("happy", 0.762, 0.254)
    assert (first.item.width, first.item.height, first.item.split) == (141, 141, "train")
    assert len(first.keypoints) == 68 and all(0 <= x <= 141 and 0 <= y <= 141 for x, y in first.keypoints[17:])
    missing_va = Label.objects.get(item__source_name__endswith="(101/happy_on_gray.png)")
    assert (missing_va.emotion, missing_va.valence) == ("happy", None)
    uncertain = Label.objects.get(item__source_name__endswith="(102/fear.jpg)")
    assert (uncertain.emotion, uncertain.valence, uncertain.arousal) == (None, -0.3, 0.6)


def test_affectnet_bad_rows_are_listed_and_the_rest_imported(post_import, tmp_path):
    text = (AFFECTNET_SMALL / "training.csv").read_text().splitlines()
    bad = [
        "102/missing.jpg,0,0,48,48,,1,0.5,0.5",
        "102/sad.jpg,0,0,48,48,,12,0.5,0.5",
        "102/sad.jpg,500,500,48,48,,1,0.5,0.5",
        "102/sad.jpg,0,0,48,48,1;2;3,1,0.5,0.5",
        "102/sad.jpg,0,0,48,48,,1,7,0.5",
    ]
    folder = tmp_path / "an"
    shutil.copytree(AFFECTNET_SMALL, folder)
    (folder / "training.csv").write_text("\n".join([*text, *bad]) + "\n")
    job = _import(post_import, zip_folder(folder, tmp_path / "an.zip"), name="an", format="affectnet")
    assert job.imported == 7 and job.error_count == 6
    messages = [e["message"] for e in job.errors[1:]]
    assert "'102/missing.jpg' is not in the archive" in messages[0]
    assert "expression must be 0..10" in messages[1]
    assert "lies outside the 48x48 image" in messages[2]
    assert "136 numbers" in messages[3]
    assert "valence must lie in [-1, 1]" in messages[4]


def test_affectnet_zip_without_its_csv_is_refused(post_import, tmp_path):
    response = post_import(zip_folder(FER2013_SMALL, tmp_path / "f.zip"), name="x", format="affectnet")
    assert response.status_code == 400 and "exactly one CSV" in response.json()["error"]["message"]
    assert not Dataset.objects.exists()


def test_facial_keypoints_csv_and_zip(post_import, tmp_path):
    job = _import(post_import, KEYPOINTS_CSV, name="kp", format="facial_keypoints")
    assert (job.imported, job.error_count) == (4, 0)
    labels = list(Label.objects.order_by("item_id"))
    assert all(label.emotion is None and len(label.keypoints) == 15 for label in labels)
    assert sum(p is not None for p in labels[1].keypoints) == 4  # a row with 4 of 15 points
    assert (labels[0].item.width, labels[0].item.height) == (96, 96)
    zipped = tmp_path / "training.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(KEYPOINTS_CSV, "training.csv")
    again = _import(post_import, zipped, name="kp", format="facial_keypoints")
    assert (again.imported, again.duplicates) == (0, 4)


def test_facial_keypoints_bad_rows_and_wrong_columns(post_import, tmp_path):
    lines = KEYPOINTS_CSV.read_text().splitlines()
    columns = len(lines[0].split(","))
    bad_csv = tmp_path / "kp.csv"
    bad_csv.write_text("\n".join([*lines, ",".join(["200"] + [""] * (columns - 2) + ["1 2 3"])]) + "\n")
    job = _import(post_import, bad_csv, name="kp", format="facial_keypoints")
    assert (job.imported, job.error_count) == (4, 1)
    assert "9216 pixel values" in job.errors[0]["message"]
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("emotion,pixels,Usage\n1,2,Training\n")
    response = post_import(wrong, name="kp2", format="facial_keypoints")
    assert response.status_code == 400 and "no 'Image' column" in response.json()["error"]["message"]
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    response = post_import(binary, name="kp3", format="facial_keypoints")
    assert response.status_code == 400 and "UTF-8" in response.json()["error"]["message"]
    assert not Dataset.objects.filter(name__in=["kp2", "kp3"]).exists()


# ---- server paths ---------------------------------------------------------------------------------


@pytest.fixture
def import_root(tmp_path, settings):
    root = tmp_path / "import-root"
    root.mkdir()
    settings.APP = {**settings.APP, "IMPORT_ROOT": root.resolve()}
    return root


@pytest.fixture
def post_path(admin_client, django_capture_on_commit_callbacks, queued):
    def post(server_path, name="served", format="class_folders"):
        with django_capture_on_commit_callbacks(execute=True):
            return admin_client.post("/api/imports/", {"name": name, "format": format, "server_path": server_path})

    return post


def test_server_folder_imports_without_an_upload(post_path, import_root, settings):
    shutil.copytree(FER2013_SMALL, import_root / "fer2013")
    shutil.copytree(AFFECTNET_SMALL, import_root / "affectnet")
    response = post_path("fer2013")
    assert response.status_code == 202, response.json()
    job = run_import(response.json()["id"])
    assert (job.imported, job.error_count, job.server_path) == (21, 0, "fer2013")
    assert not job.source and not list((settings.MEDIA_ROOT / "imports").glob("*"))  # nothing copied
    affectnet = run_import(post_path(str(import_root / "affectnet"), name="an", format="affectnet").json()["id"])
    assert affectnet.imported == 7


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../outside", "outside IMPORT_ROOT"),
        ("/etc", "outside IMPORT_ROOT"),
        ("link-out", "outside IMPORT_ROOT"),
        ("nothing-here", "does not exist"),
        ("fer2013", "take the CSV file, not a folder"),
    ],
)
def test_server_paths_outside_the_root_or_wrong_are_refused(post_path, import_root, tmp_path, path, message):
    (tmp_path / "outside").mkdir()
    (import_root / "link-out").symlink_to(tmp_path / "outside")
    shutil.copytree(FER2013_SMALL, import_root / "fer2013")
    response = post_path(path, format="fer2013_csv" if path == "fer2013" else "class_folders")
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error["message"] and "server_path" in error["fields"]
    assert not Dataset.objects.exists() and not ImportJob.objects.exists()


def test_links_inside_a_server_folder_are_not_followed(post_path, import_root, tmp_path):
    shutil.copytree(FER2013_SMALL, import_root / "fer2013")
    secret = tmp_path / "secret.jpg"
    shutil.copy(next((FER2013_SMALL / "val" / "happy").glob("*.jpg")), secret)
    (import_root / "fer2013" / "train" / "happy" / "linked.jpg").symlink_to(secret)
    job = run_import(post_path("fer2013").json()["id"])
    assert job.imported == 21 and not Item.objects.filter(source_name__contains="linked").exists()


def test_server_paths_are_off_without_import_root(post_path, settings):
    settings.APP = {**settings.APP, "IMPORT_ROOT": None}
    response = post_path("anything")
    assert response.status_code == 400 and "set IMPORT_ROOT" in response.json()["error"]["message"]


def test_file_and_server_path_together_are_refused(admin_client, import_root):
    with open(KEYPOINTS_CSV, "rb") as handle:
        response = admin_client.post(
            "/api/imports/", {"name": "x", "format": "facial_keypoints", "file": handle, "server_path": "a.csv"}
        )
    assert response.status_code == 400 and "not both" in response.json()["error"]["message"]
    neither = admin_client.post("/api/imports/", {"name": "x", "format": "class_folders"})
    assert neither.status_code == 400
    assert neither.json()["error"]["message"] == "file: give a file to upload, or a server_path under IMPORT_ROOT"


def test_affectnet_palette_and_cmyk_photos_become_plain_crops(post_import, tmp_path):
    import io

    from PIL import Image

    archive = tmp_path / "an.zip"
    rows = ["subDirectory_filePath,face_x,face_y,face_width,face_height,facial_landmarks,expression,valence,arousal"]
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, mode, fmt in (("p.png", "P", "PNG"), ("c.jpg", "CMYK", "JPEG")):
            buffer = io.BytesIO()
            Image.effect_noise((64, 64), 40).convert(mode).save(buffer, format=fmt)
            zipped.writestr(f"Manually_Annotated_Images/1/{name}", buffer.getvalue())
            rows.append(f"1/{name},8,8,40,40,,4,-2,-2")
        zipped.writestr("Manually_Annotated_file_lists/validation.csv", "\n".join(rows) + "\n")
    job = _import(post_import, archive, name="modes", format="affectnet")
    assert (job.imported, job.error_count) == (2, 0), job.errors
    assert {(i.width, i.height, i.split) for i in Item.objects.all()} == {(40, 40, "val")}
    assert set(Label.objects.values_list("emotion", flat=True)) == {"fear"}


def test_import_root_setting(tmp_path):
    from webapp.config import ConfigError, load_config

    env = {"FER_VAR_DIR": str(tmp_path / "var"), "SECRET_KEY": "k"}
    assert load_config(env).import_root is None
    assert load_config(env | {"IMPORT_ROOT": str(tmp_path)}).import_root == tmp_path.resolve()
    with pytest.raises(ConfigError, match="IMPORT_ROOT must be an existing folder"):
        load_config(env | {"IMPORT_ROOT": str(tmp_path / "missing")})


def test_item_api_shows_keypoints(post_import, admin_client):
    job = _import(post_import, KEYPOINTS_CSV, name="kp", format="facial_keypoints")
    items = admin_client.get(f"/api/datasets/{job.dataset_id}/items/").json()["results"]
    assert len(items[0]["labels"][0]["keypoints"]) == 15 and items[0]["emotion"] is None


def test_item_page_draws_the_landmarks(post_import, client, admin_user, tmp_path):
    archive = zip_folder(AFFECTNET_SMALL, tmp_path / "affectnet.zip")
    _import(post_import, archive, name="an", format="affectnet")
    client.force_login(admin_user)
    with_landmarks = Label.objects.filter(keypoints__isnull=False).first()
    page = client.get(f"/datasets/items/{with_landmarks.item_id}/").content.decode()
    assert page.count("<circle ") == 68 and "68 points from the newest label" in page
    # a newer label without points does not hide them: the newest label that has points is drawn
    Label.objects.create(item=with_landmarks.item, source="correction", emotion="sad")
    assert client.get(f"/datasets/items/{with_landmarks.item_id}/").content.decode().count("<circle ") == 68


def test_diffusionfer_layout_imports_whole_images_with_va_and_keeps_va_only_rows(post_import, tmp_path):
    """DiffusionFER's dataset_sheet.csv: AffectNet's columns without face box and landmarks."""
    archive = zip_folder(FIXTURES / "diffusionfer_small", tmp_path / "dfer.zip", prefix="diffusionfer_small/")
    job = _import(post_import, archive, name="dfer", format="affectnet")
    assert (job.status, job.total, job.imported) == ("done", 5, 4), job.errors
    assert [e["message"] for e in job.errors] == ["expression 9 (uncertain) without valence/arousal: no label"]
    happy = Label.objects.get(item__source_name__endswith="(cropped/happy/aajwceye_1.jpg)")
    assert (happy.emotion, happy.valence, happy.arousal, happy.keypoints) == ("happy", 0.4, 0.2, None)
    assert (happy.item.width, happy.item.height) == (64, 64)  # no box: the whole image is the face
    va_only = Label.objects.get(item__source_name__endswith="(cropped/sad/aeilinfy_2.jpg)")
    assert (va_only.emotion, va_only.valence, va_only.arousal) == (None, -0.2, -0.1)
