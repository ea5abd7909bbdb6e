"""DRF permission classes built on `roles`, so pages and API agree on who may do what."""

from rest_framework.permissions import BasePermission

from webapp.accounts import roles


class IsAdmin(BasePermission):
    message = "Only admins may do this."

    def has_permission(self, request, view) -> bool:
        return roles.is_admin(request.user)


class MayUseDemo(BasePermission):
    message = "Log in to use the demo; anonymous use is turned off on this site."

    def has_permission(self, request, view) -> bool:
        return roles.may_use_demo(request.user)
