"""Uploads without a broker: the prediction task runs in the test process, or is only recorded."""

import io
from pathlib import Path

import pytest
from PIL import Image

from tests.fakes import FakeResult, fake_sends  # noqa: F401 - FakeResult kept importable from here

PHOTOS = Path(__file__).resolve().parents[2] / "fixtures" / "photos"


@pytest.fixture
def run_inline(monkeypatch):
    """Run `uploads.predict` at once, in this process, when an upload is committed."""
    from webapp.uploads.tasks import predict_upload

    return fake_sends(monkeypatch, [predict_upload], run=True)


@pytest.fixture
def queue_only(monkeypatch):
    """Record the prediction tasks sent, without running them (the job stays pending)."""
    from webapp.uploads.tasks import predict_upload

    return fake_sends(monkeypatch, [predict_upload])


@pytest.fixture
def post_photo(django_capture_on_commit_callbacks):
    """POST a photo file (a path, or (name, bytes)) to an upload endpoint, committing as a request would."""

    def post(client, source, url="/api/uploads/"):
        if isinstance(source, tuple):
            name, data = source
            handle = io.BytesIO(data)
            handle.name = name
        else:
            handle = open(source, "rb")  # noqa: SIM115 - closed below
        try:
            with django_capture_on_commit_callbacks(execute=True):
                return client.post(url, {"image": handle}, format="multipart")
        finally:
            handle.close()

    return post


def image_bytes(size=(64, 48), format="PNG", exif_orientation=None) -> bytes:
    image = Image.new("RGB", size, (120, 130, 140))
    buffer = io.BytesIO()
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        image.save(buffer, format=format, exif=exif)
    else:
        image.save(buffer, format=format)
    return buffer.getvalue()
