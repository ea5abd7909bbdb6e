"""Settings from the environment: defaults, parsing, and one clear line for bad values."""

import subprocess
import sys

import pytest

from tests.processes import ROOT
from webapp.config import ConfigError, load_config, prepare_local_state


def test_defaults_give_an_embedded_installation(tmp_path):
    prepare_local_state({"FER_VAR_DIR": str(tmp_path)})
    config = load_config({"FER_VAR_DIR": str(tmp_path)})
    assert config.database_url == f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert config.broker_kind == "filesystem"
    assert config.media_root == tmp_path / "media" and config.media_root.is_dir()
    assert all((config.broker_dir / name).is_dir() for name in ("queue", "processed", "control"))
    assert config.debug is False
    assert config.allow_anonymous_demo is True
    assert config.allowed_hosts == ["localhost", "127.0.0.1", "[::1]"]


def test_secret_key_is_generated_once_and_kept(tmp_path):
    prepare_local_state({"FER_VAR_DIR": str(tmp_path)})
    first = load_config({"FER_VAR_DIR": str(tmp_path)}).secret_key
    assert len(first) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    prepare_local_state({"FER_VAR_DIR": str(tmp_path)})
    assert load_config({"FER_VAR_DIR": str(tmp_path)}).secret_key == first
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_reading_the_settings_writes_nothing(tmp_path):
    var_dir = tmp_path / "fresh"
    with pytest.raises(ConfigError, match="SECRET_KEY is not set and .*secret_key does not exist yet"):
        load_config({"FER_VAR_DIR": str(var_dir)})
    load_config({"FER_VAR_DIR": str(var_dir), "SECRET_KEY": "k"})
    assert not var_dir.exists()


def test_importing_the_settings_writes_nothing_and_manage_py_prepares(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "FER_VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "webapp.settings"}
    imported = subprocess.run(
        [sys.executable, "-c", "import webapp.settings"], cwd=ROOT, env=env | {"SECRET_KEY": "k"}, capture_output=True
    )
    assert imported.returncode == 0 and not (tmp_path / "var").exists()
    checked = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert (tmp_path / "var" / "secret_key").is_file() and (tmp_path / "var" / "media").is_dir()


def test_redis_url_switches_the_broker(tmp_path):
    config = load_config({"FER_VAR_DIR": str(tmp_path), "SECRET_KEY": "k", "REDIS_URL": "redis://cache:6379/1"})
    assert config.broker_kind == "redis"
    assert config.broker_url == config.result_backend == "redis://cache:6379/1"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG must be true or false"),
        ("DATABASE_URL", "mysql://db/x", "DATABASE_URL must start with one of"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL must start with one of"),
        ("ALLOWED_HOSTS", " , ", "ALLOWED_HOSTS must be a comma-separated list"),
        ("HEALTH_WORKER_TIMEOUT", "soon", "HEALTH_WORKER_TIMEOUT must be a number"),
        ("HEALTH_WORKER_TIMEOUT", "600", "HEALTH_WORKER_TIMEOUT must be between"),
        ("SECRET_KEY", "  ", "SECRET_KEY is set but empty"),
        ("FER_REQUIRE_SECRET_KEY", "true", "SECRET_KEY must be set"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, name, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config({"FER_VAR_DIR": str(tmp_path), name: value})


def test_bad_setting_stops_manage_py_with_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "FER_VAR_DIR": str(tmp_path), "DEBUG": "maybe"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: DEBUG must be true or false (also 1/0, yes/no, on/off), got 'maybe'"
    ]


def test_bad_setting_stops_the_celery_worker_with_one_line(tmp_path):
    from tests.processes import BIN

    env = {"PATH": "/usr/bin:/bin", "FER_VAR_DIR": str(tmp_path), "REDIS_URL": "localhost:6379"}
    command = [BIN / "celery", "-A", "worker.celery_app", "worker"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stderr.strip().splitlines() == [
        "Configuration error: REDIS_URL must start with one of redis://, rediss://; got 'localhost:6379'"
    ]


def test_the_face_pipeline_settings_are_read_with_the_others(tmp_path):
    config = load_config(
        {
            "FER_VAR_DIR": str(tmp_path),
            "SECRET_KEY": "k",
            "FER_MIN_FACE_PX": "45",
            "FER_LANDMARKS": "fan",
            "FER_YUNET_SEARCH": "full",
        }
    )
    assert (config.pipeline.min_face_px, config.pipeline.landmarks, config.pipeline.yunet_search) == (45, "fan", "full")
    assert load_config({"FER_VAR_DIR": str(tmp_path), "SECRET_KEY": "k"}).pipeline.yunet_search == "two_pass"
    with pytest.raises(ConfigError, match="FER_MIN_FACE_PX must be a whole number of pixels, got 'tiny'"):
        load_config({"FER_VAR_DIR": str(tmp_path), "FER_MIN_FACE_PX": "tiny"})
    with pytest.raises(ConfigError, match="FER_YUNET_SEARCH must be one of two_pass, full, got 'tiles'"):
        load_config({"FER_VAR_DIR": str(tmp_path), "FER_YUNET_SEARCH": "tiles"})
