"""Fixtures shared by the webapp tests: an admin API client and dataset imports without a broker."""

import pytest
from rest_framework.test import APIClient

from tests.fakes import fake_sends


@pytest.fixture
def admin_client(admin_user):
    """Its own client, so a test's `api_client` stays anonymous until the test logs it in."""
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def queued(monkeypatch):
    """Record the import tasks sent to the broker instead of sending them."""
    from webapp.datasets.tasks import import_dataset

    return fake_sends(monkeypatch, [import_dataset])


@pytest.fixture
def post_import(admin_client, django_capture_on_commit_callbacks, queued):
    def post(path, name="fer-small", format="class_folders"):
        with open(path, "rb") as handle, django_capture_on_commit_callbacks(execute=True):
            return admin_client.post("/api/imports/", {"name": name, "format": format, "file": handle})

    return post
