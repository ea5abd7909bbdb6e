"""Error pages look like the site (navigation, a way back), and every page has a favicon."""

import pytest
from django.template.loader import render_to_string

pytestmark = pytest.mark.django_db


def test_404_is_a_styled_page_with_navigation(client):
    response = client.get("/no/such/page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in page and "<code>/no/such/page/</code>" in page
    assert 'class="topbar"' in page and 'href="/upload/"' in page and "css/base.css" in page


def test_403_says_why_and_who_is_logged_in(client, annotator):
    client.force_login(annotator)
    response = client.get("/accounts/annotators/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "This page is for admins." in page and "You are logged in as ann." in page and 'class="topbar"' in page


def test_500_page_renders_without_a_request_context():
    page = render_to_string("500.html")
    assert "Something went wrong on our side" in page and "css/base.css" in page


def test_favicon_is_linked_and_favicon_ico_leads_to_it(client):
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.url == "/static/favicon.svg"
