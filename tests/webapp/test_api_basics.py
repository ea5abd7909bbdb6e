"""API plumbing with DRF's client: schema, docs page, token auth and the error body."""

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def test_openapi_schema_lists_the_health_endpoint(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/health/" in response.json()["paths"]


def test_api_docs_page_uses_local_static_files(client):
    page = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar" in page and "cdn" not in page.lower()


def test_schema_needs_no_login_but_admin_site_does(client):
    assert client.get("/api/schema/", HTTP_ACCEPT="application/json").status_code == 200
    assert client.get("/admin/").status_code == 302


def test_token_authentication(api_client, admin_user):
    """An admin-only endpoint: refused without credentials, answered with the admin's token."""
    assert api_client.get("/api/training/runs/").status_code == 401
    token = Token.objects.create(user=admin_user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/training/runs/").status_code == 200


def test_bad_token_gets_the_standard_error_body(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = api_client.get("/api/health/")
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "authentication_failed", "message": "Invalid token."}}


def test_error_messages_never_name_non_field_errors():
    from rest_framework.exceptions import ValidationError

    from webapp.core.api_errors import exception_handler

    response = exception_handler(ValidationError({"non_field_errors": ["give an emotion or say unsure"]}), {})
    assert response.data["error"]["message"] == "give an emotion or say unsure"
    field = exception_handler(ValidationError({"valence": ["must be at most 1"]}), {})
    assert field.data["error"]["message"] == "valence: must be at most 1"
