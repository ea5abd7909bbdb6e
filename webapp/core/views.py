from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render

from webapp.core.navigation import SECTIONS_BY_SLUG, visible_sections


def home(request):
    return render(request, "core/home.html", {"sections": visible_sections(request.user)})


def section(request, slug: str):
    """A section's landing page until the feature that fills it lands."""
    found = SECTIONS_BY_SLUG.get(slug)
    if found is None:
        raise Http404(f"No section {slug!r}")
    if found.staff_only and not request.user.is_staff:
        return redirect_to_login(request.get_full_path())
    return render(request, "core/section.html", {"section": found})
