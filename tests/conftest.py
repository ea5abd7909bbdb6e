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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Under `pytest -n N --dist loadgroup`, keep the tests that share a live process in one test process:
    the browser tests (one web server + worker stack) and the real-worker tests (one worker)."""
    for item in items:
        for marker in ("e2e", "worker"):
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.xdist_group(marker))
                break
