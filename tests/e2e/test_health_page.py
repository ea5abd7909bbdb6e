"""The health page in a real browser shows every part green, the worker round trip included."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


@pytest.fixture(params=["filesystem", "redis"])
def any_broker_app(request):
    """The health page is checked on both brokers; the other e2e tests share the embedded one."""
    return request.getfixturevalue("live_app" if request.param == "filesystem" else "redis_app")


def test_health_page_shows_worker_round_trip_green(any_broker_app, page):
    page.goto(f"{any_broker_app.url}/health/")
    expect(page.locator("#overall")).to_have_text("ok", timeout=20_000)
    for part in ("web", "database", "storage", "broker", "worker_cpu", "worker_gpu"):
        expect(page.locator(f"#check-{part}")).to_have_class("ok")
    expect(page.locator("#check-worker_cpu")).to_contain_text("up")  # messages and details are for admins


def test_visitor_sees_sections_and_admin_also_sees_training(live_app, page):
    nav = page.get_by_role("navigation")
    page.goto(live_app.url)
    for title in ("Upload", "Gallery", "Labeling"):
        expect(nav.get_by_role("link", name=title)).to_be_visible()
    for title in ("Datasets", "Training", "Leaderboard"):  # admins only
        expect(nav.get_by_role("link", name=title)).to_have_count(0)

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill(live_app.admin_username)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".error")).to_contain_text("correct username and password")

    page.get_by_label("Username").fill(live_app.admin_username)
    page.get_by_label("Password").fill(live_app.admin_password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".who")).to_have_text(f"{live_app.admin_username} (admin)")
    nav.get_by_role("link", name="Training").click()
    expect(page.get_by_role("heading", name="Training", exact=True)).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
