"""CSRF for anonymous API calls that a browser's session cookie authorises.

DRF checks CSRF only for users its SessionAuthentication logged in. An anonymous demo
visitor's uploads belong to their session cookie, so another site could otherwise make
their browser delete them. This class runs last: when no other class authenticated the
request, it carries a session cookie and it changes state, Django's CSRF check must pass.
Calls without a cookie (curl, scripts) have no ambient authority and are left alone.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS


class AnonymousSessionCsrf(SessionAuthentication):
    def authenticate(self, request):
        if request.method not in SAFE_METHODS and settings.SESSION_COOKIE_NAME in request.COOKIES:
            self.enforce_csrf(request)
        return None


class AnonymousSessionCsrfScheme(OpenApiAuthenticationExtension):
    """For the OpenAPI schema it is the session cookie, as SessionAuthentication is."""

    target_class = AnonymousSessionCsrf
    name = "anonymousSessionCookie"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
