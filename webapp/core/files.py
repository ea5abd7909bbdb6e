"""Sending a stored file after a view has checked who asks (there is no public /media/).

Files under MEDIA_ROOT: django-sendfile2 sends the bytes, streamed by Django on one machine
(FILE_SENDER=django) or handed to the web server in a deployment (nginx's X-Accel-Redirect,
Apache's X-Sendfile), whose location for MEDIA_ROOT must be internal-only.

Files in S3 object storage (FER_S3_BUCKET): Django streams them from the bucket, after the
same check. No presigned URL is handed to the browser: the bucket can stay on an internal
network, a link cannot be passed on while it is valid, and the page's Content-Security-Policy
keeps allowing images from 'self' only (see docs/security.md).
"""

from __future__ import annotations

from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django_sendfile import sendfile

from webapp.core.storage import is_local

CACHE_CONTROL = "private, max-age=3600"


def send_stored_file(request, name: str, *, download_name: str | None = None) -> HttpResponse:
    """The stored file `name` as a private response; 404 when it is missing."""
    if not name or Path(name).is_absolute() or ".." in Path(name).parts:
        raise Http404("no file")
    if not is_local():
        return _stream_from_storage(name, download_name)
    path = Path(settings.SENDFILE_ROOT) / name  # SENDFILE_ROOT is MEDIA_ROOT (settings.py)
    if not path.is_file():
        raise Http404("the file is missing")
    response = sendfile(
        request, path, attachment=download_name is not None, attachment_filename=download_name or False
    )
    response["Cache-Control"] = CACHE_CONTROL
    return response


def _stream_from_storage(name: str, download_name: str | None) -> HttpResponse:
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("the file is missing") from None
    except (BotoCoreError, ClientError):
        return HttpResponse("The file storage cannot be reached; try again shortly.", status=503,
                            content_type="text/plain")  # fmt: skip
    # FileResponse closes the handle when the response is done; it guesses the type from the name.
    response = FileResponse(handle, as_attachment=download_name is not None, filename=download_name or "")
    response["Cache-Control"] = CACHE_CONTROL
    return response


def stored_name(field) -> str:
    """A FileField's name, or '' when it has none (for send_stored_file)."""
    return field.name if field else ""
