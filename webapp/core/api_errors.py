"""One error body for the whole API: {"error": {"code", "message", "fields"?}}.

Settings name `exception_handler` as DRF's EXCEPTION_HANDLER. Besides DRF's own exceptions it
answers the services' `ApplicationError`s, so no view translates a domain error by hand, and an
unreachable S3 bucket as a 503.
"""

from botocore.exceptions import BotoCoreError, ClientError
from rest_framework.exceptions import APIException
from rest_framework.views import exception_handler as drf_exception_handler

from webapp.core.exceptions import ApplicationError

# Keys that name no field a person filled in: their message stands alone.
_NOT_A_FIELD = {"non_field_errors", "detail"}


class _RefusedRequest(APIException):
    """An ApplicationError in DRF's terms: its status, its code, its message under its field."""

    def __init__(self, error: ApplicationError):
        self.status_code = error.status_code
        self.default_code = error.code
        detail = {error.field: [error.message]} if error.field else error.message
        super().__init__(detail, code=error.code)


def _first_message(detail) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        message = _first_message(value)
        return message if key in _NOT_A_FIELD else f"{key}: {message}"
    return str(detail)


class StorageUnavailable(APIException):
    """The S3 bucket did not answer or refused: the server's trouble, said as such (503), not a 500."""

    status_code = 503
    default_code = "storage_unavailable"
    default_detail = "the file storage cannot be reached; nothing was stored, try again shortly"


def exception_handler(exc, context):
    if isinstance(exc, (BotoCoreError, ClientError)):  # only django-storages' S3 backend speaks boto
        exc = StorageUnavailable()
    elif isinstance(exc, ApplicationError):
        exc = _RefusedRequest(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    body = {"code": getattr(exc, "default_code", "error"), "message": _first_message(detail)}
    if isinstance(detail, dict) and "detail" not in detail:
        body["fields"] = detail
    elif isinstance(detail, dict):
        body["message"] = str(detail["detail"])
    response.data = {"error": body}
    return response
