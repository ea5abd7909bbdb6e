"""Dataset pages with Django's test client."""

import pytest

from tests.archives import FER2013_SMALL, zip_folder
from webapp.datasets.importing import run_import
from webapp.datasets.models import Item

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(post_import, tmp_path):
    return run_import(post_import(zip_folder(FER2013_SMALL, tmp_path / "fer.zip")).json()["id"])


def test_pages_need_a_login(client):
    assert client.get("/datasets/").status_code == 302


def test_list_shows_datasets_and_the_import_form_to_admins(client, admin_user, annotator, imported):
    client.force_login(annotator)
    page = client.get("/datasets/").content.decode()
    assert "fer-small" in page and 'id="import-form"' not in page
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
