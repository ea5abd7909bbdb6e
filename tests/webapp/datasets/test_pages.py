"""Dataset pages with Django's test client."""

import pytest

from tests.archives import FER2013_SMALL, zip_folder
from webapp.datasets.importing import run_import
from webapp.datasets.models import ImportJob, Item

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(post_import, tmp_path):
    return run_import(post_import(zip_folder(FER2013_SMALL, tmp_path / "fer.zip")).json()["id"])


def test_pages_need_a_login(client):
    assert client.get("/datasets/").status_code == 302


def test_list_shows_datasets_and_the_import_form_to_admins(client, admin_user, annotator, imported):
    client.force_login(annotator)
    assert client.get("/datasets/").status_code == 403  # datasets are admins' only
    client.force_login(admin_user)
    page = client.get("/datasets/").content.decode()
    assert 'id="import-form"' in page and "fer.zip" in page  # recent imports


def test_detail_histogram_filters_and_item(client, admin_user, imported):
    client.force_login(admin_user)
    page = client.get(f"/datasets/{imported.dataset_id}/").content.decode()
    assert page.count('data-emotion="') == 7 and "21 items" in page
    filtered = client.get(f"/datasets/{imported.dataset_id}/?split=val&emotion=sad").content.decode()
    assert "1 items" in filtered and filtered.count('loading="lazy"') == 1
    item = Item.objects.filter(split="val", labels__emotion="sad").get()
    detail = client.get(f"/datasets/items/{item.pk}/").content.decode()
    assert item.content_hash in detail and "Original dataset label" in detail


def test_a_finished_imports_row_errors_stay_viewable(
    client, admin_client, admin_user, annotator, post_import, tmp_path
):
    good = next((FER2013_SMALL / "train" / "happy").glob("*.jpg")).read_bytes()
    extra = {"train/happy/truncated.jpg": good[:300], "train/misc/face.jpg": good[::-1]}
    job = run_import(post_import(zip_folder(FER2013_SMALL, tmp_path / "bad.zip", extra=extra)).json()["id"])
    assert (job.status, job.error_count) == ("done", 2)

    api = admin_client.get(f"/api/imports/{job.pk}/").json()
    assert api["error_count"] == 2
    assert {e["where"] for e in api["errors"]} == {"train/happy/truncated.jpg", "train/misc/face.jpg"}

    client.force_login(admin_user)
    listing = client.get("/datasets/").content.decode()
    assert f'href="/datasets/imports/{job.pk}/" class="import-errors">2 row errors</a>' in listing
    page = client.get(f"/datasets/imports/{job.pk}/").content.decode()
    assert page.count("<tr><td>") == 2 and "train/misc/face.jpg" in page and "unknown emotion name" in page
    assert "errors-left-out" not in page

    ImportJob.objects.filter(pk=job.pk).update(error_count=502)  # as when more errors came than are stored
    assert "500 more errors were counted but not stored" in client.get(f"/datasets/imports/{job.pk}/").content.decode()
    assert client.get("/datasets/imports/999999/").status_code == 404
    client.force_login(annotator)
    assert client.get(f"/datasets/imports/{job.pk}/").status_code == 403  # admins only
