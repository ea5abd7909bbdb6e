"""Roles (admin, annotator, anonymous demo use), login/logout pages and the demo admin."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from webapp.accounts import roles
from webapp.accounts.services import ensure_demo_admin
from webapp.core.navigation import SECTIONS

pytestmark = pytest.mark.django_db


def test_annotators_group_exists_after_migrations(django_user_model):
    from django.contrib.auth.models import Group

    assert Group.objects.filter(name=roles.ANNOTATORS).exists()


def test_roles(admin_user, annotator, django_user_model):
    visitor = django_user_model.objects.create_user("visitor", password="pw-visitor-1")
    assert roles.is_admin(admin_user) and roles.is_annotator(admin_user)
    assert roles.is_annotator(annotator) and not roles.is_admin(annotator)
    assert not roles.is_annotator(visitor)
    assert not roles.is_admin(AnonymousUser())


def test_anonymous_demo_follows_the_setting(settings):
    settings.APP = {**settings.APP, "ALLOW_ANONYMOUS_DEMO": False}
    assert not roles.may_use_demo(AnonymousUser())
    settings.APP = {**settings.APP, "ALLOW_ANONYMOUS_DEMO": True}
    assert roles.may_use_demo(AnonymousUser())


def test_demo_admin_is_created_once(django_user_model):
    first = ensure_demo_admin("admin")
    assert first.created and len(first.password) >= 12
    assert django_user_model.objects.get(username="admin").check_password(first.password)
    again = ensure_demo_admin("admin")
    assert not again.created and again.password is None
    assert django_user_model.objects.get(username="admin").check_password(first.password)


def test_demo_admin_command_prints_credentials(capsys, settings):
    call_command("ensure_demo_admin")
    out = capsys.readouterr().out
    assert "Demo admin created: username 'admin'" in out
    saved = (settings.CONFIG.var_dir / "demo_admin.txt").read_text()
    assert saved.startswith("username: admin\npassword: ")


def test_login_and_logout_pages(client, annotator):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and b'name="password"' in page.content
    bad = client.post("/accounts/login/", {"username": "ann", "password": "wrong"})
    assert bad.status_code == 200 and b"Please enter a correct username and password" in bad.content
    good = client.post("/accounts/login/", {"username": "ann", "password": "pw-ann-123"})
    assert good.status_code == 302
    assert b"ann" in client.get("/").content
    assert client.post("/accounts/logout/").status_code == 302
    assert b"Log in" in client.get("/").content


def test_navigation_shows_training_only_to_admins(client, admin_user):
    assert b'href="/training/"' not in client.get("/").content
    assert client.get("/training/").status_code == 302  # to the login page
    client.force_login(admin_user)
    assert b'href="/training/"' in client.get("/").content
    assert client.get("/training/").status_code == 200


@pytest.mark.parametrize("section", SECTIONS, ids=lambda section: section.slug)
def test_every_section_in_the_menu_has_its_own_page(client, admin_user, section):
    client.force_login(admin_user)
    assert client.get(section.url).status_code == 200


@pytest.mark.parametrize("section", SECTIONS, ids=lambda section: section.slug)
def test_old_section_links_go_to_the_sections_page(client, section):
    response = client.get(f"/section/{section.slug}/")
    assert response.status_code == 302 and response.url == section.url


def test_unknown_section_is_404(client):
    assert client.get("/section/nope/").status_code == 404
