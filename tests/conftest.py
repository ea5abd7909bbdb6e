import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("boss", password="pw-boss-123")


@pytest.fixture
def annotator(db):
    from webapp.accounts.services import create_annotator

    return create_annotator("ann", "pw-ann-123")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores uploaded and imported files in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SENDFILE_ROOT = str(settings.MEDIA_ROOT)  # files are sent from MEDIA_ROOT only
    return settings.MEDIA_ROOT
