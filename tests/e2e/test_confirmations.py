"""Two actions that change what everyone sees ask first: accepting a session's labels shows what
would change, promoting a model shows it beside the active one with its warnings."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_dataset_import import log_in
from tests.e2e.test_labeling import _create_session, _label, labeling_setup  # noqa: F401 (fixture)
from tests.e2e.test_labeling_layout import ARTIFACTS

pytestmark = pytest.mark.e2e


def test_accept_shows_a_preview_and_then_the_new_state(live_app, browser, page, labeling_setup):  # noqa: F811
    dataset, (annotator, _) = labeling_setup
    session_id = _create_session(page, live_app, dataset, "accept preview", 1)
    _label(browser, live_app, annotator, session_id, ["2", "2", "3"])
    page.goto(f"{live_app.url}/labeling/{session_id}/")
    expect(page.locator("#dawid-skene-shortfall")).to_be_visible()  # 3 answers: Dawid-Skene not to be trusted

    page.get_by_role("button", name="Accept as the dataset's labels").click()
    dialog = page.locator("#accept-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#accept-summary")).to_contain_text("3 crowd labels by majority vote")
    page.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#accept-state")).to_contain_text("Not accepted yet")

    page.get_by_role("button", name="Accept as the dataset's labels").click()
    page.locator("#accept-confirm").click()
    expect(page.locator("#accept-result")).to_contain_text("3 crowd labels recorded")
    expect(page.locator("#accept-state")).to_contain_text("Accepted just now (majority vote, 3 crowd labels)")
    # The plots are readable: each at least 300 px wide at 1280 px (they once collapsed to ~75 px).
    page.set_viewport_size({"width": 1280, "height": 800})
    for plot in page.locator("figure.plot").all():
        assert plot.bounding_box()["width"] >= 300
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "labeling-session-desktop.png"), full_page=True)


def test_promote_compares_and_asks_before_switching(live_app, page):
    log_in(page, live_app)
    page.goto(f"{live_app.url}/leaderboard/")
    active = page.locator("tr.active").get_attribute("id")
    candidate = page.locator("button.promote").first
    name = candidate.get_attribute("data-name")
    candidate.click()
    dialog = page.locator("#promote-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#promote-body")).to_contain_text(f"Make {name} the model every new prediction uses")
    page.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    page.reload()
    assert page.locator("tr.active").get_attribute("id") == active  # cancelled: nothing changed

    try:
        page.locator("button.promote").first.click()
        page.locator("#promote-confirm").click()
        expect(page.locator("#active-model")).to_contain_text(name)
    finally:  # the live app is shared: give the next test the default model back
        page.goto(f"{live_app.url}/leaderboard/")
        rollback = page.locator("#rollback")
        if rollback.count():
            rollback.click()
            expect(page.locator(f"tr#{active}.active")).to_be_visible()
