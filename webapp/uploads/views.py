"""Pages: the upload page, the gallery grid, an upload's result page, delete; the photo and face files.

Files are served here, not from /media/, so the same visibility rule as the API applies.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from ml.faces.images import accepted_formats_text, accepted_mime_types
from ml.taxonomy import EMOTIONS
from webapp.accounts import roles
from webapp.core.files import send_stored_file, stored_name
from webapp.datasets.models import Label
from webapp.modelzoo.models import ModelVersion
from webapp.uploads import selectors, services
from webapp.uploads.models import Face
from webapp.uploads.serializers import UploadSerializer

UPLOADS_PER_PAGE = 24


def demo_users_only(view):
    """Logged-in users, or anyone while ALLOW_ANONYMOUS_DEMO is on; others go to the login page."""

    def wrapped(request, *args, **kwargs):
        if not roles.may_use_demo(request.user):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.__name__, wrapped.__doc__ = view.__name__, view.__doc__
    return wrapped


@demo_users_only
def upload_page(request):
    context = {
        "max_upload_mb": round(settings.APP["MAX_UPLOAD_BYTES"] / 1024 / 1024, 2),
        "formats": accepted_formats_text(),
        "accept": accepted_mime_types(),
    }
    return render(request, "uploads/upload.html", context)


@demo_users_only
def gallery(request):
    emotion = request.GET.get("emotion") or None
    model_version = request.GET.get("model_version") or None
    corrected = selectors.parse_bool(request.GET.get("corrected"))
    uploads = selectors.filter_uploads(
        selectors.uploads_for(request), emotion=emotion, model_version=model_version, corrected=corrected
    )
    page = Paginator(selectors.with_faces(uploads), UPLOADS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "emotions": EMOTIONS,
        "model_versions": ModelVersion.objects.filter(uploads__isnull=False).distinct().order_by("tag"),
        "emotion": emotion,
        "model_version": model_version,
        "corrected": request.GET.get("corrected", ""),
    }
    return render(request, "uploads/gallery.html", context)


@demo_users_only
def upload_detail(request, pk: int):
    queryset = selectors.with_faces(selectors.uploads_for(request)).prefetch_related("faces__item__labels__created_by")
    upload = get_object_or_404(queryset, pk=pk)
    for face in upload.faces.all():
        face.sorted_probs = sorted(face.probs.items(), key=lambda pair: -pair[1])
        face.correction_labels = _corrections(face)
    context = {
        "upload": upload,
        "landmark_radius": round(max(1.5, min(upload.width, upload.height) / 200), 1),
        "label_size": max(14, min(upload.width, upload.height) // 30),  # readable on big photos too
        "upload_json": UploadSerializer(upload).data,
        "emotions": EMOTIONS,
        "may_correct": request.user.is_authenticated,
    }
    return render(request, "uploads/detail.html", context)


def _corrections(face: Face) -> list[Label]:
    if face.item_id is None:
        return []
    return [label for label in face.item.labels.all() if label.source == Label.Source.CORRECTION]


@demo_users_only
@require_http_methods(["GET", "POST"])
def upload_delete(request, pk: int):
    """GET asks for confirmation; POST deletes the upload and its files."""
    upload = get_object_or_404(selectors.uploads_for(request), pk=pk)
    if request.method == "POST":
        name = upload.original_name or f"upload {upload.pk}"
        services.delete_upload(upload)
        messages.success(request, f"Deleted {name} and its files.")
        return redirect("uploads:gallery")
    return render(request, "uploads/delete.html", {"upload": upload})


@demo_users_only
def photo(request, pk: int):
    upload = get_object_or_404(selectors.uploads_for(request), pk=pk)
    return send_stored_file(request, stored_name(upload.image))


@demo_users_only
def face_file(request, pk: int, kind: str):
    face = get_object_or_404(Face.objects.filter(upload__in=selectors.uploads_for(request).values("pk")), pk=pk)
    if kind not in ("crop", "saliency"):
        raise Http404(f"no {kind} file")
    field = face.crop if kind == "crop" else face.saliency
    if not field:
        raise Http404("this face has no saliency overlay")
    return send_stored_file(request, stored_name(field))
