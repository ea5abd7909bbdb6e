"""The annotators page: admins add, deactivate and reactivate annotators and see their sessions."""

import pytest
from django.contrib.auth import get_user_model

from webapp.accounts import roles

pytestmark = pytest.mark.django_db


def test_only_admins_reach_it(client, admin_user, annotator, django_user_model):
    assert client.get("/accounts/annotators/").url.startswith("/accounts/login/")
    client.force_login(annotator)
    denied = client.get("/accounts/annotators/")
    assert denied.status_code == 403
    assert client.post("/accounts/annotators/", {"username": "x"}).status_code == 403
    assert client.post(f"/accounts/annotators/{annotator.pk}/deactivate/").status_code == 403
    client.force_login(django_user_model.objects.create_user("visitor", password="pw-visitor-1"))
    assert client.get("/accounts/annotators/").status_code == 403
    client.force_login(admin_user)
    assert client.get("/accounts/annotators/").status_code == 200


def test_adding_an_annotator_with_a_generated_password(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/accounts/annotators/", {"username": "carla", "password": ""})
    assert response.status_code == 201
    page = response.content.decode()
    password = page.split('<code id="new-password">')[1].split("</code>")[0]
    carla = get_user_model().objects.get(username="carla")
    assert roles.is_annotator(carla) and not carla.is_staff and carla.check_password(password)
    assert 'data-user="carla"' in page


def test_bad_new_annotators_are_refused_with_the_reason(client, admin_user, annotator):
    client.force_login(admin_user)
    taken = client.post("/accounts/annotators/", {"username": "ANN"})
    assert taken.status_code == 400 and "The user name &#x27;ANN&#x27; is taken." in taken.content.decode()
    weak = client.post("/accounts/annotators/", {"username": "dan", "password": "123"})
    assert weak.status_code == 400 and "too short" in weak.content.decode()
    bad_name = client.post("/accounts/annotators/", {"username": "a b/c"})
    assert bad_name.status_code == 400
    assert not get_user_model().objects.filter(username__in=["dan", "a b/c"]).exists()


def test_deactivating_stops_logins_and_reactivating_restores_them(client, admin_user, annotator):
    client.force_login(admin_user)
    response = client.post(f"/accounts/annotators/{annotator.pk}/deactivate/", follow=True)
    assert "ann deactivated." in response.content.decode() and "Reactivate" in response.content.decode()
    annotator.refresh_from_db()
    assert not annotator.is_active
    client.logout()
    assert not client.login(username="ann", password="pw-ann-123")
    client.force_login(admin_user)
    client.post(f"/accounts/annotators/{annotator.pk}/reactivate/")
    assert client.login(username="ann", password="pw-ann-123")


def test_admins_and_unknown_ids_cannot_be_toggled_here(client, admin_user):
    client.force_login(admin_user)
    assert client.post(f"/accounts/annotators/{admin_user.pk}/deactivate/").status_code == 404
    assert client.post("/accounts/annotators/99999/deactivate/").status_code == 404
    assert client.get(f"/accounts/annotators/{admin_user.pk}/deactivate/").status_code == 405


def test_the_page_lists_each_annotators_sessions_and_answers(client, admin_user, fer_small, make_annotators):
    from webapp.labeling import services

    session = services.create_session(dataset=fer_small, name="smiles", user=admin_user, split="val")
    worker, idle = make_annotators(2)
    for _ in range(3):
        assignment = services.next_assignment(session, worker)
        services.submit(assignment, worker, duration_ms=900, emotion="happy")
    client.force_login(admin_user)
    page = client.get("/accounts/annotators/").content.decode()
    row = page.split(f'data-user="{worker.username}"')[1].split("</tr>")[0]
    assert "<td>3</td>" in row and f'href="/labeling/{session.pk}/">smiles</a> (3)' in row
    idle_row = page.split(f'data-user="{idle.username}"')[1].split("</tr>")[0]
    assert "<td>0</td>" in idle_row
