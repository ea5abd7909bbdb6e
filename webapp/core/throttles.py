"""Rate limits for what anonymous visitors can trigger: uploads, predictions, invite-link joins.

Rates come from webapp/config.py (THROTTLE_* variables) through
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], read on each request: DRF's own scoped throttle
reads them once at import, so neither tests nor a settings change could move them.
Counts live in Django's cache (Redis when REDIS_URL is set, so every web process shares them).
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ScopedThrottle(SimpleRateThrottle):
    """At most `rate` requests per client address for this scope; rate None = no limit."""

    scope = ""
    anonymous_only = False

    def __init__(self):  # the rate is read per request, not here
        pass

    def get_rate(self) -> str | None:
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)

    def allow_request(self, request, view) -> bool:
        if self.anonymous_only and request.user.is_authenticated:
            return True
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AnonymousUploadThrottle(ScopedThrottle):
    scope = "anon_upload"
    anonymous_only = True


class AnonymousPredictThrottle(ScopedThrottle):
    scope = "anon_predict"
    anonymous_only = True


class JoinThrottle(ScopedThrottle):
    """Invite-link joins per address, whoever asks: each anonymous join makes an account."""

    scope = "join"
