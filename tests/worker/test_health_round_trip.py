"""The health checks against a real Celery worker process on the embedded broker."""

import os
import time

import pytest

from webapp.health import services

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_ping_task_runs_on_the_worker(worker):
    from webapp.health.tasks import ping

    reply = ping.apply_async(args=[time.time()], queue="cpu").get(timeout=20)
    assert reply["pid"] != os.getpid()
    assert reply["queue_delay_ms"] >= 0


def test_health_api_is_ok_with_a_worker(worker, api_client, admin_user):
    api_client.force_authenticate(admin_user)  # messages and details are for admins
    response = api_client.get("/api/health/")
    assert response.status_code == 200, response.json()
    report = response.json()
    assert report["status"] == "ok"
    assert set(report["checks"]) == {"web", "database", "storage", "broker", "worker_cpu", "worker_gpu"}
    assert report["checks"]["worker_cpu"]["message"].startswith("worker ")
    assert report["checks"]["worker_gpu"]["ok"]  # this worker serves both queues


def test_a_queue_nobody_serves_fails_within_the_timeout(worker, settings):
    settings.APP = {**settings.APP, "HEALTH_WORKER_TIMEOUT": 0.5}
    start = time.monotonic()
    sent = services.send_pings(["nobody-listens"])
    check = services.check_worker("nobody-listens", sent["nobody-listens"], time.monotonic() + 0.5, required=True)
    assert not check.ok and "no worker answered on queue 'nobody-listens'" in check.message
    assert time.monotonic() - start < 3
