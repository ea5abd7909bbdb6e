"""Page guards: anonymous visitors are sent to log in, logged-in people without the role get a 403
that says why (not a login form they can do nothing with)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from webapp.accounts import roles


def admin_required(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not roles.is_admin(request.user):
            raise PermissionDenied("This page is for admins.")
        return view(request, *args, **kwargs)

    return guarded
