"""Model versions: bundled registration, promotion, rollback, and their API."""

from pathlib import Path

import pytest
from django.conf import settings

from ml.pipeline import Pipeline
from tests.checkpoints import write_tiny_checkpoint
from webapp.modelzoo import services
from webapp.modelzoo.models import ModelVersion, Promotion

pytestmark = pytest.mark.django_db


@pytest.fixture
def trained_version():
    path = write_tiny_checkpoint(Path(settings.MEDIA_ROOT) / "models" / "run-1" / "best.pt")
    version, created = services.register_checkpoint(path, source=ModelVersion.Source.TRAINED, name="run 1")
    assert created
    return version


def test_fresh_site_activates_the_bundled_default():
    version = services.active_version()
    assert version.source == "bundled" and version.checkpoint == "models/ferplus_default.pt"
    assert version.architecture == "vgg_fer_wide" and version.label_set == "affectnet8"
    assert version.parameter_count == 3_643_210  # the figure in its model card
    assert version.path.is_file()
    assert Promotion.objects.get().previous is None


def test_bundled_tag_matches_what_the_pipeline_stamps_on_predictions():
    version = services.active_version()
    pipeline = Pipeline(classifier_checkpoint=version.path)
    assert pipeline.classifier.version == version.tag


def test_registering_the_same_bytes_twice_returns_the_first_version(trained_version):
    again, created = services.register_checkpoint(trained_version.path, source="trained")
    assert not created and again.pk == trained_version.pk
    assert trained_version.checkpoint == "models/run-1/best.pt"
    assert trained_version.metrics == {"accuracy": 0.5, "macro_f1": 0.25}


def test_promote_then_rollback(trained_version, admin_user):
    bundled = services.active_version()
    services.promote(trained_version, admin_user)
    assert services.active_version() == trained_version
    assert ModelVersion.objects.filter(is_active=True).count() == 1
    rollback = services.rollback(admin_user)
    assert rollback.is_rollback and rollback.previous == trained_version
    assert services.active_version() == bundled


def test_promoting_the_active_version_or_a_missing_file_is_refused(trained_version):
    with pytest.raises(services.PromotionError, match="already the active"):
        services.promote(services.active_version())
    trained_version.path.unlink()
    with pytest.raises(services.PromotionError, match="missing"):
        services.promote(trained_version)
    assert services.active_version().source == "bundled"


def test_api_lists_versions_and_admins_promote(api_client, admin_client, annotator, trained_version):
    api_client.force_authenticate(annotator)
    assert api_client.get("/api/models/").status_code == 403  # admins only
    assert api_client.post(f"/api/models/{trained_version.pk}/promote/").status_code == 403
    listed = admin_client.get("/api/models/").json()["results"]
    assert {v["tag"] for v in listed} >= {trained_version.tag, services.active_version().tag}

    response = admin_client.post(f"/api/models/{trained_version.pk}/promote/")
    assert response.status_code == 201 and response.json()["model_version"]["is_active"]
    assert admin_client.get(f"/api/models/{trained_version.pk}/").json()["is_active"]

    again = admin_client.post(f"/api/models/{trained_version.pk}/promote/")
    assert again.status_code == 400 and "already" in again.json()["error"]["fields"]["model"][0]
    assert admin_client.post("/api/models/rollback/").status_code == 201
    assert admin_client.get("/api/promotions/").json()["count"] == 3


def test_rollback_without_history_is_a_clear_400(admin_client):
    response = admin_client.post("/api/models/rollback/")
    assert response.status_code == 400
    assert "no earlier active model" in response.json()["error"]["fields"]["model"][0]


def test_anonymous_users_see_no_models(api_client):
    assert api_client.get("/api/models/").status_code == 401  # token authentication first: a 401, not a 403
