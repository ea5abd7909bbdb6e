"""Model-assisted labeling: 'model unsure' selection, uncertainty-first order, the prediction shown on request."""

import pytest

from ml.taxonomy import EMOTIONS
from webapp.datasets.models import Item, ItemPrediction
from webapp.datasets.predicting import entropy_bits
from webapp.labeling import services
from webapp.labeling.models import Annotation

pytestmark = pytest.mark.django_db


@pytest.fixture
def planted(fer_small):
    """Predictions with known confidence: item i of the val split gets top probability 0.3 + 0.1 * i."""
    from webapp.modelzoo.services import active_version

    version = active_version()
    items = list(Item.objects.filter(dataset=fer_small, split="val").order_by("id"))
    for i, item in enumerate(items):
        top = 0.3 + 0.1 * i
        probs = dict.fromkeys(EMOTIONS, (1 - top) / 7) | {"happy": top}
        ItemPrediction.objects.create(
            item=item, model_version=version, emotion="happy", probs=probs, top_probability=top,
            entropy=entropy_bits(probs.values()), valence=0.5, arousal=0.2, va_source="derived",
        )  # fmt: skip
    return items


def _session(dataset, user, **options):
    return services.create_session(dataset=dataset, name="s", user=user, **options)


def test_model_unsure_selects_low_confidence_items(fer_small, admin_user, planted):
    session = _session(fer_small, admin_user, selection="model_unsure", unsure_below=0.55)
    assert {si.item_id for si in session.session_items.all()} == {i.pk for i in planted[:3]}  # 0.3, 0.4, 0.5
    assert all(si.prediction == "happy" and si.uncertainty > 0 for si in session.session_items.all())


def test_model_unsure_needs_predictions(fer_small, admin_user):
    with pytest.raises(services.LabelingError, match="Predict with active model"):
        _session(fer_small, admin_user, selection="model_unsure")


def test_uncertainty_first_hands_out_the_least_confident_item_first(fer_small, admin_user, planted, make_annotators):
    session = _session(fer_small, admin_user, order="uncertainty")
    (annotator,) = make_annotators(1)
    handed = []
    for _ in range(len(planted) + 2):
        assignment = services.next_assignment(session, annotator)
        services.submit(assignment, annotator, emotion="happy", duration_ms=500)
        handed.append(assignment.session_item.item_id)
    assert handed[: len(planted)] == [i.pk for i in planted]  # most uncertain (lowest top) first
    unpredicted = set(Item.objects.filter(dataset=fer_small, split="train").values_list("pk", flat=True))
    assert set(handed[len(planted) :]) <= unpredicted  # items without a prediction come last


def test_least_labeled_order_is_unchanged(fer_small, admin_user, planted, make_annotators):
    session = _session(fer_small, admin_user)
    (annotator,) = make_annotators(1)
    first = services.next_assignment(session, annotator)
    assert first.session_item.item_id == Item.objects.filter(dataset=fer_small).order_by("id").first().pk


def test_prediction_reaches_annotators_only_where_the_session_allows(api_client, fer_small, admin_user, planted,
                                                                      make_annotators):  # fmt: skip
    hidden = _session(fer_small, admin_user, split="val")
    shown = _session(fer_small, admin_user, split="val", show_prediction=True)
    (annotator,) = make_annotators(1)
    api_client.force_authenticate(annotator)
    assert api_client.post(f"/api/labeling/sessions/{hidden.pk}/next/").json()["prediction"] is None
    item = api_client.post(f"/api/labeling/sessions/{shown.pk}/next/").json()
    assert item["prediction"] == "happy"
    # the record of what was shown must be the real prediction, and only where showing is allowed
    submit = f"/api/labeling/assignments/{item['id']}/submit/"
    api_client.post(submit, {"emotion": "sad", "duration_ms": 900, "prediction_shown": "anger"}, format="json")
    assert Annotation.objects.get().prediction_shown == ""
    second = api_client.post(f"/api/labeling/sessions/{shown.pk}/next/").json()
    url = f"/api/labeling/assignments/{second['id']}/submit/"
    api_client.post(url, {"emotion": "sad", "duration_ms": 900, "prediction_shown": "happy"}, format="json")
    assert Annotation.objects.latest("id").prediction_shown == "happy"


def test_label_page_offers_the_toggle_off_by_default(client, fer_small, admin_user, planted, make_annotators):
    (annotator,) = make_annotators(1)
    client.force_login(annotator)
    with_toggle = _session(fer_small, admin_user, show_prediction=True)
    page = client.get(f"/labeling/{with_toggle.pk}/label/").content.decode()
    assert 'id="show-prediction"' in page and "checked" not in page.split('id="show-prediction"')[1][:20]
    without = _session(fer_small, admin_user)
    assert 'id="show-prediction"' not in client.get(f"/labeling/{without.pk}/label/").content.decode()


def test_session_api_validates_the_new_options(admin_client, fer_small, planted):
    base = {"name": "s", "dataset": fer_small.pk, "selection": "model_unsure"}
    for bad in ({"unsure_below": 0}, {"unsure_below": 1.5}, {"order": "random"}, {"selection": "whatever"}):
        response = admin_client.post("/api/labeling/sessions/", base | bad, format="json")
        assert response.status_code == 400, bad
    response = admin_client.post("/api/labeling/sessions/", base | {"unsure_below": 0.45, "order": "uncertainty"},
                                 format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
