from webapp.core.navigation import visible_sections


def navigation(request):
    """Menu entries for the base layout, filtered by what the user may see."""
    return {"nav_sections": visible_sections(request.user)}
