from django.http import Http404
from django.shortcuts import redirect, render

from webapp.core.navigation import SECTIONS_BY_SLUG, visible_sections


def home(request):
    return render(request, "core/home.html", {"sections": visible_sections(request.user)})


def section(request, slug: str):
    """Old `/section/<slug>/` links (from before each section had its page) go to the section's page."""
    found = SECTIONS_BY_SLUG.get(slug)
    if found is None:
        raise Http404(f"No section {slug!r}")
    return redirect(found.url)

