import pytest


@pytest.fixture
def admin_client(api_client, admin_user):
    api_client.force_authenticate(admin_user)
    return api_client


@pytest.fixture
def queued(monkeypatch):
    """Record the import tasks sent to the broker instead of sending them."""
    from worker.tasks import import_dataset

    sent = []

    class FakeResult:
        id = "task-1"

    def apply_async(args, queue):
        sent.append((args, queue))
        return FakeResult()

    monkeypatch.setattr(import_dataset, "apply_async", apply_async)
    return sent


@pytest.fixture
def post_import(admin_client, django_capture_on_commit_callbacks, queued):
    def post(path, name="fer-small", format="class_folders"):
        with open(path, "rb") as handle, django_capture_on_commit_callbacks(execute=True):
            return admin_client.post("/api/imports/", {"name": name, "format": format, "file": handle})

    return post
