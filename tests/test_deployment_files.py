"""docker-compose.yml describes the many-machine deployment the docs promise.

No Docker engine runs in CI, so these check the file's content, not a running stack.
"""

import yaml

from tests.processes import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_services_and_named_volumes():
    assert {"web", "db", "redis", "worker-cpu", "worker-gpu"} <= set(SERVICES)
    assert set(COMPOSE["volumes"]) == {"pgdata", "redisdata", "media"}


def test_workers_listen_on_their_queues():
    assert SERVICES["worker-cpu"]["command"][SERVICES["worker-cpu"]["command"].index("-Q") + 1] == "cpu"
    assert SERVICES["worker-gpu"]["command"][SERVICES["worker-gpu"]["command"].index("-Q") + 1] == "gpu"
    devices = SERVICES["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]


def test_every_long_running_service_has_a_health_check():
    for name in ("web", "db", "redis", "worker-cpu", "worker-gpu"):
        assert "healthcheck" in SERVICES[name], name


def test_app_services_get_their_settings_from_the_environment():
    env = SERVICES["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://")
    assert {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "MEDIA_ROOT"} <= set(env)


def test_ci_runs_the_readme_test_command():
    readme_commands = (ROOT / "README.md").read_text().split("```")[1]
    assert "make test" in readme_commands and "make up" in readme_commands
    assert "make test" in (ROOT / ".ci" / "run").read_text()
