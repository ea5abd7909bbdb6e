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


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3-compatible server (moto's) on 127.0.0.1 for the whole session: its URL."""
    from tests.object_storage import s3_server

    with s3_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_storage(settings, s3_endpoint, tmp_path):
    """Stored files go to a fresh bucket on the S3 server for this test (STORAGES as FER_S3_BUCKET sets it)."""
    from tests.object_storage import new_bucket
    from webapp.config import storages_setting

    config = new_bucket(s3_endpoint)
    settings.STORAGES = storages_setting(config)
    settings.APP = {**settings.APP, "CACHE_DIR": tmp_path / "cache"}
    return config
