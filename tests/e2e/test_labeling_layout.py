"""The labeling page fits one screen: image, choices, circumplex and every message inside the
viewport without scrolling, at 1280x800 and on a 390 px phone, and nothing scrolls sideways.
Screenshots go to the test artifacts folder (ARTIFACTS_DIR, else var/test-artifacts)."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_labeling import _create_session, labeling_setup  # noqa: F401 (fixture)
from tests.processes import ROOT

pytestmark = pytest.mark.e2e
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR", ROOT / "var" / "test-artifacts"))


def _inside_viewport(page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    assert box is not None, f"{selector} is not rendered"
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= width + 0.5 and box["y"] + box["height"] <= height + 0.5, (selector, box)


def _no_sideways_scroll(page) -> None:
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= page.viewport_size["width"], f"page is {scroll_width} px wide"


def _log_in_as(browser, live_app, username: str, viewport: tuple[int, int]):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    page.goto(f"{live_app.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-e2e-annotator")
    page.get_by_role("button", name="Log in").click()
    return context, page


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_labeling_page_fits_one_screen(live_app, browser, page, labeling_setup, device):  # noqa: F811
    dataset, (annotator, _) = labeling_setup
    session_id = _create_session(page, live_app, dataset, f"layout {device}", 1, ask="both")
    context, labeler = _log_in_as(browser, live_app, annotator, VIEWPORTS[device])
    labeler.goto(f"{live_app.url}/labeling/{session_id}/label/")
    expect(labeler.locator("#face")).to_have_attribute("src", re.compile(r".+"))
    # No dot on the circumplex until valence/arousal is set.
    assert labeler.locator("#va-point").get_attribute("display") == "none"
    expect(labeler.locator("#va-value")).to_have_text("Valence/arousal not set.")

    labeler.keyboard.press("3")  # an emotion before valence/arousal: the message must be seen
    expect(labeler.locator("#message")).to_contain_text("Set valence/arousal first")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    labeler.screenshot(path=str(ARTIFACTS / f"labeling-page-{device}.png"))
    for selector in ("#face", "#emotion-keys", "#action-keys", "#va", "#message", "#va-value", "#progress-text"):
        _inside_viewport(labeler, selector)
    _no_sideways_scroll(labeler)

    labeler.keyboard.press("ArrowUp")
    labeler.keyboard.press("ArrowRight")
    assert labeler.locator("#va-point").get_attribute("display") == "inline"
    first = labeler.locator("#face").get_attribute("src")
    labeler.keyboard.press("2")
    expect(labeler.locator("#progress-text")).to_contain_text("1 by you")
    # Undo brings the face back with both answers: the emotion outlined, valence/arousal restored.
    labeler.keyboard.press("z")
    expect(labeler.locator("#face")).to_have_attribute("src", first)
    labeler.screenshot(path=str(ARTIFACTS / f"labeling-page-undone-{device}.png"))
    expect(labeler.locator("#message")).to_contain_text("you had answered happy, valence 0.10, arousal 0.10")
    expect(labeler.locator("#va-value")).to_have_text("Valence 0.10, arousal 0.10.")
    expect(labeler.locator('button[data-emotion="happy"]')).to_have_class(re.compile(r"\bprevious\b"))
    _inside_viewport(labeler, "#message")
    context.close()


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_main_pages_do_not_scroll_sideways(live_app, page, device):
    from tests.e2e.test_dataset_import import log_in

    page.set_viewport_size({"width": VIEWPORTS[device][0], "height": VIEWPORTS[device][1]})
    log_in(page, live_app)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, path in (("home", "/"), ("upload", "/upload/"), ("gallery", "/gallery/"), ("datasets", "/datasets/"),
                       ("labeling", "/labeling/"), ("training", "/training/"), ("leaderboard", "/leaderboard/"),
                       ("annotators", "/accounts/annotators/"), ("health", "/health/")):  # fmt: skip
        page.goto(f"{live_app.url}{path}")
        page.screenshot(path=str(ARTIFACTS / f"{name}-{device}.png"), full_page=True)
        if device == "phone":
            _no_sideways_scroll(page)
