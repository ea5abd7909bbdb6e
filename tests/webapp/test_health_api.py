"""Health API without a worker: the report says what is down, with the right status code."""

import pytest

from webapp.health import services
from webapp.health.services import Check

pytestmark = pytest.mark.django_db


def test_overall_status():
    ok, down, optional_down = Check(True, ""), Check(False, ""), Check(False, "", required=False)
    assert services.overall_status({"a": ok}) == "ok"
    assert services.overall_status({"a": ok, "b": optional_down}) == "degraded"
    assert services.overall_status({"a": ok, "b": down, "c": optional_down}) == "failing"


def test_database_and_broker_checks_pass():
    assert services.check_database().ok
    broker = services.check_broker()
    assert broker.ok and broker.details == {"kind": "filesystem"}


def test_storage_check_names_the_media_folder(media_root):
    media_root.mkdir(parents=True, exist_ok=True)
    storage = services.check_storage()
    assert storage.ok and storage.message == f"files under MEDIA_ROOT ({media_root})"
    media_root.rmdir()
    assert not services.check_storage().ok


def test_health_is_503_when_no_worker_answers(admin_client, settings):
    settings.APP = {**settings.APP, "HEALTH_WORKER_TIMEOUT": 0.3}
    response = admin_client.get("/api/health/")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] and checks["broker"]["ok"]
    assert not checks["worker_cpu"]["ok"] and checks["worker_cpu"]["required"]
    assert "no worker answered on queue 'cpu'" in checks["worker_cpu"]["message"]


def test_unreachable_broker_is_reported_not_raised(admin_client, monkeypatch):
    from worker.celery_app import app

    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = admin_client.get("/api/health/")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert not checks["broker"]["ok"]
    assert checks["worker_cpu"]["message"] == "not tried: the broker is unreachable"


def test_anonymous_health_is_status_only(api_client, monkeypatch):
    """Host names, process ids and versions are for admins: visitors learn which parts are up."""
    from worker.celery_app import app

    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")  # no waiting for workers
    body = api_client.get("/api/health/").json()
    assert body["status"] == "failing"
    assert body["checks"]["database"] == {"ok": True, "required": True}
    assert "details" not in str(body) and "message" not in str(body)


def test_health_page_renders(client):
    page = client.get("/health/")
    assert page.status_code == 200 and b'data-endpoint="/api/health/"' in page.content
