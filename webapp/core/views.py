from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.static import serve

from webapp.core.navigation import SECTIONS_BY_SLUG, visible_sections


def home(request):
    return render(request, "core/home.html", {"sections": visible_sections(request.user)})


def section(request, slug: str):
    """A section's landing page until the feature that fills it lands."""
    found = SECTIONS_BY_SLUG.get(slug)
    if found is None:
        raise Http404(f"No section {slug!r}")
    if found.url_name:  # built: the generic page would wrongly say it is not
        return redirect(found.url)
    if found.staff_only and not request.user.is_staff:
        return redirect_to_login(request.get_full_path())
    return render(request, "core/section.html", {"section": found})


def media(request, path: str):
    """Uploaded and imported files on one machine (a reverse proxy serves them in production).

    django.views.static.serve refuses paths that leave MEDIA_ROOT; the root is read per
    request so tests and deployments can move it.
    """
    return serve(request, path, document_root=settings.MEDIA_ROOT)
