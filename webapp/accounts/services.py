"""Account changes: the demo admin of a fresh installation, annotator accounts."""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from webapp.accounts.roles import ANNOTATORS


@dataclass(frozen=True)
class DemoAdmin:
    username: str
    password: str | None  # None when the account already existed: its password is not ours to show
    created: bool


@transaction.atomic
def ensure_demo_admin(username: str = "admin", password: str | None = None) -> DemoAdmin:
    """Create the first admin of a fresh installation once; never touch an existing one."""
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        return DemoAdmin(username, None, created=False)
    password = password or secrets.token_urlsafe(12)
    User.objects.create_superuser(username=username, email="", password=password)
    return DemoAdmin(username, password, created=True)


@transaction.atomic
def create_annotator(username: str, password: str):
    user = get_user_model().objects.create_user(username=username, password=password)
    user.groups.add(Group.objects.get(name=ANNOTATORS))
    return user


def set_annotator_active(user, active: bool) -> None:
    """Deactivate (can't log in, tokens refused, answers kept) or reactivate an annotator."""
    if user.is_staff:
        raise ValueError("admins are managed in the Django admin, not here")
    user.is_active = active
    user.save(update_fields=["is_active"])
