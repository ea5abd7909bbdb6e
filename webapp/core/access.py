"""Who may see what: the one rule that pages, the API and the file views all ask.

Photos of faces are personal data. docs/security.md has this module as a table:

- admins see everything;
- a logged-in user (a guest too) sees their own uploads, their faces and files;
  an anonymous visitor sees the uploads of their browser session;
- nobody but admins sees datasets, items, labels, imports, models, evaluations,
  training runs or their files (the gallery corrections dataset included);
- an annotator sees only the image of an item a labeling session handed them, through
  their assignment, never the item itself, its labels, source name or predictions (the
  model's guess only where the session shows it);
- a guest labels only in the session of their invite link, and only while it is open.

Objects someone may not see answer 404 (their existence is not confirmed); actions on
objects they may see but not change answer 403.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from webapp.accounts import roles

# ---- uploads ----------------------------------------------------------------------------------


def visible_uploads(user, session_key: str | None) -> QuerySet:
    from webapp.uploads.models import Upload

    if roles.is_admin(user):
        return Upload.objects.all()
    if user.is_authenticated:
        return Upload.objects.filter(owner=user)
    if session_key:
        return Upload.objects.filter(owner__isnull=True, session_key=session_key)
    return Upload.objects.none()


# ---- datasets, models, training: admins only ---------------------------------------------------
# Every page of theirs is an `admin_page` (below) and every API view has `IsAdmin`: both ask
# roles.is_admin, the corrections dataset and every stored file of theirs included.


# ---- labeling ---------------------------------------------------------------------------------


def labeling_sessions_for(user) -> QuerySet:
    """Sessions someone may see in the list: admins all; annotators the open ones; a participant
    (a guest, or a person who joined by link) the open sessions they joined."""
    from webapp.labeling.models import LabelingSession

    if roles.is_admin(user):
        return LabelingSession.objects.all()
    if not user.is_authenticated:
        return LabelingSession.objects.none()
    if roles.is_annotator(user):
        return LabelingSession.objects.filter(is_open=True)
    return LabelingSession.objects.filter(is_open=True, participants__user=user)


def may_label(user, session) -> bool:
    """Fetch, answer, skip, undo and release in this session: only while it is open."""
    if not (user.is_authenticated and session.is_open):
        return False
    guest_of = roles.guest_session(user)
    if guest_of is not None:
        return guest_of.pk == session.pk and session.allow_guests
    return roles.is_annotator(user) or session.participants.filter(user=user).exists()


def labeling_refusal(user, session) -> str | None:
    """Why `user` may not label in `session`: "hidden" (nothing to do with it: answer 404),
    "closed" (theirs, but closed: 403), or None when they may."""
    if may_label(user, session):
        return None
    if not session.is_open and labeling_sessions_for_open_or_closed(user).filter(pk=session.pk).exists():
        return "closed"
    return "hidden"


def require_may_label(user, session) -> None:
    """Pages and API alike: Http404 for a session that is none of theirs, PermissionDenied when it is closed."""
    refusal = labeling_refusal(user, session)
    if refusal == "closed":
        raise PermissionDenied("this session is closed")
    if refusal:
        raise Http404("no such labeling session")


def labeling_sessions_for_open_or_closed(user) -> QuerySet:
    """The sessions someone labels or labelled in, closed ones included."""
    from webapp.labeling.models import LabelingSession

    if roles.is_annotator(user):
        return LabelingSession.objects.all()
    if not user.is_authenticated:
        return LabelingSession.objects.none()
    return LabelingSession.objects.filter(participants__user=user)


def may_see_assignment_image(user, assignment) -> bool:
    """The image of an item handed to this annotator, while they may still label the session."""
    return assignment.annotator_id == user.pk and may_label(user, assignment.session_item.session)


# ---- decorators for pages ---------------------------------------------------------------------


def page_rule(rule, refusal: str = ""):
    """A page for users that `rule(user)` admits: anonymous visitors go to the login page, logged-in
    users it refuses get a 403 that says `refusal` (never a redirect loop through the login page)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not rule(request.user):
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


admin_page = page_rule(roles.is_admin, "This page is for admins.")
