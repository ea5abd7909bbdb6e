"""Who may do what. Admins are Django staff; annotators belong to the ANNOTATORS group;
anonymous visitors may use the demo upload when ALLOW_ANONYMOUS_DEMO is on."""

from django.conf import settings

ANNOTATORS = "annotators"


def is_admin(user) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def is_annotator(user) -> bool:
    # Admins can always label: they run the sessions and check the interface.
    return bool(user.is_authenticated and (user.is_staff or user.groups.filter(name=ANNOTATORS).exists()))


def may_use_demo(user) -> bool:
    return bool(user.is_authenticated or settings.APP["ALLOW_ANONYMOUS_DEMO"])
