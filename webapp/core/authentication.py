"""CSRF for anonymous API calls that a browser's session cookie authorises.

DRF checks CSRF only for users its SessionAuthentication logged in. An anonymous demo
visitor's uploads belong to their session cookie, so another site could otherwise make
their browser delete them. This class runs last: when no other class authenticated the
request, it carries a session cookie and it changes state, Django's CSRF check must pass.
Calls without a cookie (curl, scripts) have no ambient authority and are left alone.
"""

from django.conf import settings
from django.http import HttpResponse
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


class TokenForPagesMiddleware:
    """Let an API client's `Authorization: Token …` reach the plain views the API links to.

    The API's answers carry links to pages and files (`page_url`, `image_url`, `crop_url`,
    `saliency_url`) served by Django views, not DRF ones; without this a client following them
    with the same header is anonymous there and gets 404. Only safe methods: a token never
    stands in for the CSRF check a page's form needs. A bad token is a 401, as in the API.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith("Token ") and request.method in SAFE_METHODS and not request.path.startswith("/api/"):
            from rest_framework.authentication import TokenAuthentication
            from rest_framework.exceptions import AuthenticationFailed

            try:
                found = TokenAuthentication().authenticate(request)
            except AuthenticationFailed as exc:
                return HttpResponse(str(exc.detail), status=401, content_type="text/plain")
            if found is not None:
                request.user = found[0]
        return self.get_response(request)
