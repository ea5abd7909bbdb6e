from webapp.core.navigation import visible_sections


def navigation(request):
    """Menu entries for the base layout, filtered by what the user may see, and the current one."""
    sections = visible_sections(request.user)
    current = next((s.slug for s in sections if request.path.startswith(s.url)), None)
    return {"nav_sections": sections, "nav_current": current}
