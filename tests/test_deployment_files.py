"""docker-compose.yml describes the many-machine deployment the docs promise.

No Docker engine runs in CI, so these check the file's content, not a running stack.
"""

import yaml

from tests.processes import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_services_and_named_volumes():
    assert {"web", "db", "redis", "minio", "minio-init", "worker-cpu", "worker-gpu"} <= set(SERVICES)
    assert set(COMPOSE["volumes"]) == {"pgdata", "redisdata", "miniodata"}  # no shared media volume


def test_workers_listen_on_their_queues():
    assert SERVICES["worker-cpu"]["command"][SERVICES["worker-cpu"]["command"].index("-Q") + 1] == "cpu"
    assert SERVICES["worker-gpu"]["command"][SERVICES["worker-gpu"]["command"].index("-Q") + 1] == "gpu"
    devices = SERVICES["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]


def test_every_long_running_service_has_a_health_check():
    for name in ("web", "db", "redis", "minio", "worker-cpu", "worker-gpu"):
        assert "healthcheck" in SERVICES[name], name


def test_app_services_get_their_settings_from_the_environment():
    env = SERVICES["web"]["environment"]
    assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://")
    assert {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "MEDIA_ROOT"} <= set(env)


def test_workers_share_files_through_the_bucket_not_a_folder():
    """Web and workers get the same FER_S3_* settings and no volume: a worker elsewhere needs only settings."""
    for name in ("web", "worker-cpu", "worker-gpu", "migrate"):
        service = SERVICES[name]
        assert service["environment"]["FER_S3_ENDPOINT_URL"] == "http://minio:9000", name
        assert {"FER_S3_BUCKET", "FER_S3_ACCESS_KEY_ID", "FER_S3_SECRET_ACCESS_KEY"} <= set(service["environment"])
        assert "volumes" not in service, name
        assert service["depends_on"]["minio-init"] == {"condition": "service_completed_successfully"}
    init = " ".join(SERVICES["minio-init"]["command"])
    assert "mc mb --ignore-existing" in init and "mc anonymous set none" in init  # the bucket stays private
    assert SERVICES["minio"]["ports"][0].startswith("${MINIO_BIND:-127.0.0.1}:")


def test_ci_runs_the_readme_test_command():
    readme_commands = (ROOT / "README.md").read_text().split("```")[1]
    assert "make test" in readme_commands and "make up" in readme_commands
    assert "make test" in (ROOT / ".ci" / "run").read_text()
