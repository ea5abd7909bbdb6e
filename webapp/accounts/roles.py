"""Who someone is. Admins are Django staff; annotators belong to the ANNOTATORS group; guests
are accounts an invite link made for one labeling session; anonymous visitors may use the
demo upload when ALLOW_ANONYMOUS_DEMO is on. What each may see: webapp/core/access.py."""

from django.conf import settings

ANNOTATORS = "annotators"
_GUEST_CACHE = "_fer_guest_session"


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def is_annotator(user) -> bool:
    """Annotators may label every open session. Admins can always label: they run the sessions."""
    return bool(user.is_authenticated and (user.is_staff or user.groups.filter(name=ANNOTATORS).exists()))


def guest_session(user):
    """The labeling session a guest account belongs to; None for everyone else (cached on the user)."""
    if not user.is_authenticated or not user.pk:
        return None
    if not hasattr(user, _GUEST_CACHE):
        from webapp.labeling.models import Participant

        found = Participant.objects.filter(user=user, is_guest=True).select_related("session").first()
        setattr(user, _GUEST_CACHE, found.session if found else None)
    return getattr(user, _GUEST_CACHE)


def is_guest(user) -> bool:
    return guest_session(user) is not None


def may_use_demo(user) -> bool:
    return bool(user.is_authenticated or settings.APP["ALLOW_ANONYMOUS_DEMO"])
