"""The one error a service raises when it refuses a request, and how the API answers it.

Services raise `ApplicationError` (or a subclass named for their domain) with a message meant
for the person who made the request; they know nothing of HTTP. The API's one exception
handler (`webapp.core.api_errors`) turns it into the shared error body, so views do not catch
and translate. Pages that re-render a form with the message still catch it themselves.
"""

from __future__ import annotations


class ApplicationError(ValueError):
    """A request the domain refuses; nothing was changed. The message is for the user.

    `field` names the request field the message is about (None: the request as a whole), and
    `status_code`/`code` say how the API answers it (400 "invalid" unless a subclass says more).
    A ValueError still, so code that guarded these with `except ValueError` keeps working.
    """

    status_code = 400
    code = "invalid"
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        if field is not None:
            self.field = field

    @property
    def message(self) -> str:
        return str(self)


class TooLarge(ApplicationError):
    """The request carries more than a limit allows: 413."""

    status_code = 413
    code = "too_large"
