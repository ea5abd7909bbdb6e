"""Sending a stored file after a view has checked who asks (there is no public /media/).

django-sendfile2 sends the bytes: streamed by Django on one machine (FILE_SENDER=django), or
handed to the web server in a deployment (nginx's X-Accel-Redirect, Apache's X-Sendfile),
whose location for MEDIA_ROOT must be internal-only.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse
from django_sendfile import sendfile


def send_stored_file(request, name: str, *, download_name: str | None = None) -> HttpResponse:
    """The file `name` (relative to MEDIA_ROOT) as a private response; 404 when it is missing."""
    if not name or Path(name).is_absolute() or ".." in Path(name).parts:
        raise Http404("no file")
    path = Path(settings.SENDFILE_ROOT) / name  # SENDFILE_ROOT is MEDIA_ROOT (settings.py)
    if not path.is_file():
        raise Http404("the file is missing")
    response = sendfile(
        request, path, attachment=download_name is not None, attachment_filename=download_name or False
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


def stored_name(field) -> str:
    """A FileField's name, or '' when it has none (for send_stored_file)."""
    return field.name if field else ""

