"""File downloads built from an export registry: {kind: (build(obj) -> bytes or iterator, content type)}."""

from django.http import HttpResponse, StreamingHttpResponse
from rest_framework.exceptions import NotFound


def export_download(registry: dict, kind: str, obj, filename: str, *, streaming: bool = False) -> HttpResponse:
    """`registry[kind]` built for `obj` as an attachment; an unknown kind is a 404 naming the known ones."""
    if kind not in registry:
        raise NotFound(f"no export {kind!r}; choose one of {', '.join(registry)}")
    build, content_type = registry[kind]
    response_class = StreamingHttpResponse if streaming else HttpResponse
    response = response_class(build(obj), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
