"""Upload a photo in the browser, see the result without a reload, toggle landmarks, correct an
emotion, and find the correction among the dataset item's labels."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_dataset_import import log_in
from tests.e2e.test_labeling_layout import ARTIFACTS, VIEWPORTS

pytestmark = pytest.mark.e2e

PHOTOS = Path(__file__).resolve().parents[1] / "fixtures" / "photos"


def test_upload_result_landmarks_and_a_correction(live_app, page):
    log_in(page, live_app)
    page.get_by_role("navigation").get_by_role("link", name="Upload").click()
    # A real photograph first (a colour portrait, EXIF-free JPEG): one face, with a box.
    page.locator("#file-input").set_input_files(PHOTOS / "astronaut.jpg")
    portrait = page.locator(".upload-row").first
    expect(portrait).to_have_attribute("data-status", "done", timeout=60_000)
    expect(portrait.locator(".phase")).to_have_text("1 face found")
    expect(portrait.locator("svg rect.box")).to_have_count(1)
    expect(portrait.locator(".detection-note")).to_have_text("Detector yunet, faces of 20 px and more.")

    # A group photo with ten small faces (30-60 px): every one gets its box.
    page.locator("#file-input").set_input_files(PHOTOS / "helen_group.jpg")
    group = page.locator(".upload-row", has_text="helen_group.jpg")
    expect(group).to_have_attribute("data-status", "done", timeout=60_000)
    expect(group.locator(".phase")).to_have_text("10 faces found")
    expect(group.locator("svg rect.box")).to_have_count(10)

    page.locator("#file-input").set_input_files(PHOTOS / "fer_two_faces.png")
    row = page.locator(".upload-row", has_text="fer_two_faces.png")
    expect(row).to_have_attribute("data-status", "done", timeout=60_000)
    expect(row.locator(".phase")).to_have_text("2 faces found")
    expect(row.locator(".face-summary li")).to_have_count(2)
    # Best detection score first, so either face may lead; each says where its V/A came from.
    expect(row.locator(".face-summary li[data-emotion=happy]")).to_contain_text("(learned on synthetic faces)")
    expect(row.locator(".face-summary li[data-emotion=surprise]")).to_have_count(1)
    expect(row.locator("svg rect.box")).to_have_count(2)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "upload-results-desktop.png"), full_page=True)

    row.get_by_role("link", name="Open the result").click()
    expect(page.locator("section.face-card")).to_have_count(2)
    landmarks = page.locator("#landmarks-layer")
    expect(landmarks).to_be_hidden()
    page.get_by_label("Landmarks").check()
    expect(landmarks).to_be_visible()
    expect(landmarks.locator("circle")).to_have_count(136)
    page.get_by_label("Saliency (Grad-CAM++)").check()
    expect(page.locator("#saliency-layer")).to_be_visible()
    for device, (width, height) in VIEWPORTS.items():  # what a reviewer looks at, on both widths
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(ARTIFACTS / f"upload-result-page-{device}.png"), full_page=True)
    page.set_viewport_size({"width": VIEWPORTS["desktop"][0], "height": VIEWPORTS["desktop"][1]})

    first = page.locator("section.face-card", has=page.locator("h2", has_text="happy"))  # the happy face, either place
    expect(first).to_have_count(1)
    first.get_by_role("button", name="sad", exact=True).click()
    first.locator("svg.va").click(position={"x": 60, "y": 60})  # upper left: negative valence, high arousal
    expect(first.locator(".va-corrected")).to_be_visible()
    first.get_by_role("button", name="Save correction").click()
    expect(first.locator(".correct-message")).to_contain_text("Saved")
    expect(first.locator("ul.corrections li")).to_have_count(1)

    first.locator(".item-link a").click()
    labels = page.locator("table.labels tbody tr")
    expect(labels).to_have_count(1)
    expect(labels.first).to_contain_text("Human correction")
    expect(labels.first).to_contain_text("sad")
    expect(labels.first).to_contain_text(live_app.admin_username)


def test_a_wrong_file_is_refused_and_the_webcam_degrades_gracefully(live_app, page, tmp_path):
    fake = tmp_path / "holiday.jpg"
    fake.write_text("not a photo at all")
    page.goto(f"{live_app.url}/upload/")  # anonymous: the demo is open by default
    page.locator("#file-input").set_input_files(fake)
    row = page.locator(".upload-row").first
    expect(row).to_have_attribute("data-status", "refused")
    expect(row.locator(".phase")).to_contain_text("not an image")

    page.get_by_role("button", name="Use the webcam").click()  # headless Chromium has no camera
    expect(page.locator("#camera-message")).to_contain_text("Upload a photo instead")
    expect(page.locator("#camera")).to_be_hidden()
