"""The one exception handler: a service's ApplicationError becomes the shared error body."""

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from webapp.core.exceptions import ApplicationError, TooLarge
from webapp.datasets.services import ImportRejected, start_import
from webapp.labeling.services import LabelingError
from webapp.uploads.services import UploadRejected, UploadTooLarge


def _answer(error: Exception):
    """What a DRF view that lets `error` escape answers, as (status, body)."""

    class Refusing(APIView):
        authentication_classes: list = []
        permission_classes: list = []

        def get(self, request):
            raise error

    response = Refusing.as_view()(APIRequestFactory().get("/"))
    return response.status_code, response.data


def test_an_error_about_the_request_as_a_whole_is_a_400_with_its_message():
    assert _answer(LabelingError("the session is closed")) == (
        400,
        {"error": {"code": "invalid", "message": "the session is closed"}},
    )


def test_an_error_about_one_field_names_the_field():
    status, body = _answer(UploadRejected("not an image"))
    assert status == 400
    assert body == {
        "error": {"code": "invalid", "message": "image: not an image", "fields": {"image": ["not an image"]}}
    }


def test_a_field_given_when_raised_overrides_the_class_field():
    status, body = _answer(ApplicationError("too short", field="name"))
    assert (status, body["error"]["fields"]) == (400, {"name": ["too short"]})


def test_too_large_is_a_413_about_the_request():
    assert _answer(UploadTooLarge("the photo is 30 MB; the limit is 20 MB")) == (
        413,
        {"error": {"code": "too_large", "message": "the photo is 30 MB; the limit is 20 MB"}},
    )
    assert _answer(TooLarge("big"))[0] == 413


def test_other_exceptions_are_not_swallowed():
    with pytest.raises(KeyError):
        _answer(KeyError("a bug"))


def test_application_errors_stay_value_errors_for_older_callers():
    assert issubclass(ApplicationError, ValueError)


@pytest.mark.django_db
@pytest.mark.parametrize(("server_path", "field"), [("", "file"), ("some/folder", "server_path")])
def test_an_import_refusal_names_the_field_that_gave_the_source(server_path, field):
    with pytest.raises(ImportRejected) as refused:
        start_import(
            name="  ", format="class_folders", upload=None if server_path else _Upload(), server_path=server_path
        )
    assert refused.value.field == field


class _Upload:
    name, size = "a.zip", 10
