"""Reading uploads: who sees which, and the gallery's filters.

Visibility (webapp/core/access.py): admins see every upload; a logged-in user sees their own;
an anonymous demo visitor sees the uploads of their browser session (gone when the session ends).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from webapp.core import access
from webapp.uploads.models import Face, Upload


def visible_uploads(user, session_key: str | None) -> QuerySet[Upload]:
    return access.visible_uploads(user, session_key)


def uploads_for(request) -> QuerySet[Upload]:
    return visible_uploads(request.user, request.session.session_key)


def faces_for(request) -> QuerySet[Face]:
    return Face.objects.filter(upload__in=uploads_for(request).values("pk"))


def with_faces(uploads: QuerySet[Upload]) -> QuerySet[Upload]:
    faces = Face.objects.select_related("model_version").order_by("index")
    return uploads.select_related("model_version", "owner").prefetch_related(Prefetch("faces", queryset=faces))


def filter_uploads(
    uploads: QuerySet[Upload],
    *,
    emotion: str | None = None,
    model_version: str | None = None,
    corrected: bool | None = None,
    status: str | None = None,
) -> QuerySet[Upload]:
    """Uploads with a face of this emotion / predicted by this model tag / with or without a corrected face."""
    if emotion:
        uploads = uploads.filter(Exists(Face.objects.filter(upload=OuterRef("pk"), emotion=emotion)))
    if model_version:
        uploads = uploads.filter(model_version__tag=model_version)
    if corrected is not None:
        has = Exists(Face.objects.filter(upload=OuterRef("pk"), item__isnull=False))
        uploads = uploads.filter(has if corrected else ~has)
    if status:
        uploads = uploads.filter(status=status)
    return uploads.order_by("-created_at", "-id")


def parse_bool(raw: str | None) -> bool | None:
    """'true'/'yes'/'1' or 'false'/'no'/'0'; anything else (or nothing) means no filter."""
    value = (raw or "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return None
