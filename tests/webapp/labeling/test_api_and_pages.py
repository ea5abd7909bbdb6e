"""The labeling API with DRF's client, and the pages with Django's."""

import pytest

from webapp.labeling import services
from webapp.labeling.models import Annotation, Assignment, LabelingSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(fer_small, admin_user):
    return services.create_session(dataset=fer_small, name="val faces", user=admin_user, split="val")


def test_admins_create_sessions_and_others_may_not(admin_client, api_client, annotator, fer_small):
    body = {"name": "s1", "dataset": fer_small.pk, "ask": "both", "labels_per_item": 3, "gold_rate": 0.1}
    response = admin_client.post("/api/labeling/sessions/", body, format="json")
    assert response.status_code == 201 and response.json()["labels_per_item"] == 3
    bad = admin_client.post("/api/labeling/sessions/", {**body, "gold_rate": 0.9}, format="json")
    assert bad.status_code == 400 and "gold_rate" in bad.json()["error"]["fields"]
    api_client.force_authenticate(annotator)
    assert api_client.post("/api/labeling/sessions/", body, format="json").status_code == 403


def test_the_labeling_loop(api_client, annotator, session):
    api_client.force_authenticate(annotator)
    base = f"/api/labeling/sessions/{session.pk}"
    first = api_client.post(f"{base}/next/", {}, format="json").json()
    assert first["image_url"] == f"/labeling/assignments/{first['id']}/image" and first["progress"] == {
        "items": 7, "complete_items": 0, "my_labels": 0
    }  # fmt: skip
    second = api_client.post(f"{base}/next/", {"holding": [first["id"]]}, format="json").json()
    assert second["id"] != first["id"]

    answer = {"emotion": "surprise", "duration_ms": 1500, "valence": 0.4, "arousal": 0.7}
    submitted = api_client.post(f"/api/labeling/assignments/{first['id']}/submit/", answer, format="json")
    assert submitted.status_code == 201 and submitted.json()["progress"]["my_labels"] == 1
    again = api_client.post(f"/api/labeling/assignments/{first['id']}/submit/", answer, format="json")
    assert again.status_code == 400 and again.json()["error"]["message"] == "this item was already done"
    bad = api_client.post(f"/api/labeling/assignments/{second['id']}/submit/", {"emotion": "joy"}, format="json")
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"emotion", "duration_ms"}

    assert api_client.post(f"/api/labeling/assignments/{second['id']}/skip/").status_code == 204
    undone = api_client.post(f"{base}/undo/").json()
    assert undone["id"] == first["id"] and not Annotation.objects.exists()
    # The answer taken back comes with it, so the page can show it and restore valence/arousal.
    assert undone["previous"] == {"emotion": "surprise", "not_face": False, "unsure": False, "valence": 0.4,
                                  "arousal": 0.7, "duration_ms": 1500}  # fmt: skip
    assert undone["progress"] == {"items": 7, "complete_items": 0, "my_labels": 0}
    assert api_client.post(f"{base}/undo/").status_code == 204


def test_204_when_nothing_is_left(api_client, annotator, session):
    api_client.force_authenticate(annotator)
    url = f"/api/labeling/sessions/{session.pk}/next/"
    for _ in range(7):
        assignment = api_client.post(url, {}, format="json").json()
        api_client.post(f"/api/labeling/assignments/{assignment['id']}/submit/", {"emotion": "fear", "duration_ms": 5})
    assert api_client.post(url, {}, format="json").status_code == 204


def test_visitors_cannot_label(api_client, django_user_model, session):
    assert api_client.post(f"/api/labeling/sessions/{session.pk}/next/").status_code == 401
    api_client.force_authenticate(django_user_model.objects.create_user("visitor"))
    assert api_client.post(f"/api/labeling/sessions/{session.pk}/next/").status_code == 404  # not theirs


def test_statistics_and_accept_api(admin_client, annotator, session):
    assignment = services.next_assignment(session, annotator)
    services.submit(assignment, annotator, emotion="happy", duration_ms=700)
    stats = admin_client.get(f"/api/labeling/sessions/{session.pk}/statistics/").json()
    assert (stats["annotations"], stats["complete_items"], stats["fleiss_kappa"]) == (1, 1, None)
    response = admin_client.post(f"/api/labeling/sessions/{session.pk}/accept/", {"method": "majority"}, format="json")
    assert response.status_code == 201
    assert response.json() == {"method": "majority", "labels_created": 1, "labels_replaced": 0}


def test_pages(client, admin_user, annotator, session):
    client.force_login(annotator)
    listing = client.get("/labeling/").content.decode()
    assert "val faces" in listing and "Start labeling" in listing and 'id="session-form"' not in listing
    page = client.get(f"/labeling/{session.pk}/label/").content.decode()
    assert page.count("<kbd>") == 12 and 'data-asks-emotion="1"' in page
    assert client.get(f"/labeling/{session.pk}/").status_code == 403  # statistics are for admins
    client.force_login(admin_user)
    assert 'id="fleiss-kappa"' in client.get(f"/labeling/{session.pk}/").content.decode()
    assert client.get(f"/labeling/{session.pk}/export/annotations.csv").content.startswith(b"item_id,")


def test_session_form_creates_a_session(client, admin_user, fer_small):
    client.force_login(admin_user)
    form = {"name": "from the page", "dataset": fer_small.pk, "ask": "emotion", "selection": "all", "split": "",
            "labels_per_item": 2, "gold_rate": 0}  # fmt: skip
    response = client.post("/labeling/", form)
    session = LabelingSession.objects.get(name="from the page")
    assert response.status_code == 302 and response.url == f"/labeling/{session.pk}/"
    assert session.session_items.count() == 21


def test_invite_link_creates_a_guest_annotator(client, fer_small, admin_user):
    session = services.create_session(dataset=fer_small, name="open", user=admin_user, allow_guests=True)
    assert client.post(f"/labeling/join/{session.invite_token}/").status_code == 400  # a display name is needed
    response = client.post(f"/labeling/join/{session.invite_token}/", {"display_name": "Ada"})
    assert response.status_code == 302 and response.url == f"/labeling/{session.pk}/label/"
    assert client.get(response.url).status_code == 200
    no_guests = services.create_session(dataset=fer_small, name="members only", user=admin_user)
    client.logout()
    assert client.post(f"/labeling/join/{no_guests.invite_token}/", {"display_name": "Ada"}).status_code == 403


def test_leaving_the_page_releases_held_items(api_client, annotator, session, make_annotators):
    api_client.force_authenticate(annotator)
    base = f"/api/labeling/sessions/{session.pk}"
    held = [api_client.post(f"{base}/next/", {"holding": []}, format="json").json()["id"]]
    held.append(api_client.post(f"{base}/next/", {"holding": held}, format="json").json()["id"])
    response = api_client.post(f"{base}/release/", {"assignments": ",".join(map(str, held))})  # a form, as sendBeacon
    assert response.status_code == 204
    assert not Assignment.objects.filter(pk__in=held).exists()
    assert api_client.post(f"{base}/release/", {"assignments": "1,x"}).status_code == 400


def test_progress_counts_gold_items_like_the_session_page(api_client, annotator, fer_small, admin_user):
    from webapp.labeling.models import SessionItem
    from webapp.labeling.statistics import session_statistics

    session = services.create_session(dataset=fer_small, name="with gold", user=admin_user, split="val")
    SessionItem.objects.filter(pk=session.session_items.first().pk).update(is_gold=True, gold_emotion="happy")
    api_client.force_authenticate(annotator)
    progress = api_client.post(f"/api/labeling/sessions/{session.pk}/next/", {}, format="json").json()["progress"]
    assert progress["items"] == session_statistics(session).items == 7
