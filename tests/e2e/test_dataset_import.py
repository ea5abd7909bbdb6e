"""An admin imports a dataset zip in the browser, watches it finish and browses it."""

import pytest
from playwright.sync_api import expect

from tests.archives import FER2013_SMALL, zip_folder

pytestmark = pytest.mark.e2e


def log_in(page, live_app):
    page.goto(f"{live_app.url}/accounts/login/")
    page.get_by_label("Username").fill(live_app.admin_username)
    page.get_by_label("Password").fill(live_app.admin_password)
    page.get_by_role("button", name="Log in").click()


def test_import_a_zip_then_browse_it(live_app, page, tmp_path):
    archive = zip_folder(FER2013_SMALL, tmp_path / "fer-small.zip", extra={"train/sad/broken.jpg": b"not a jpeg"})
    log_in(page, live_app)
    page.get_by_role("navigation").get_by_role("link", name="Datasets").click()
    page.get_by_label("Dataset name").fill(f"browser-{live_app.url[-5:]}")
    page.get_by_label("Format").select_option("class_folders")
    page.get_by_label("File").set_input_files(archive)
    page.get_by_role("button", name="Import").click()

    expect(page.get_by_role("link", name="Import finished")).to_be_visible(timeout=30_000)
    expect(page.locator("#import-counts")).to_contain_text("21 imported · 0 duplicates · 1 errors")
    expect(page.locator("#import-errors")).to_contain_text("train/sad/broken.jpg: not an image")

    page.get_by_role("link", name="Import finished").click()
    expect(page.locator("tr[data-emotion]")).to_have_count(7)
    expect(page.locator('tr[data-emotion="happy"] td[data-split="train"] .count')).to_have_text("2")

    page.locator("select[name=split]").select_option("val")
    page.locator("select[name=emotion]").select_option("surprise")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".thumbs img")).to_have_count(1)
    page.locator(".thumbs a").first.click()
    expect(page.locator("table.labels tbody tr")).to_have_count(1)
    expect(page.locator("table.labels")).to_contain_text("surprise")


def test_a_wrong_file_is_refused_with_a_message(live_app, page, tmp_path):
    not_a_zip = tmp_path / "notes.zip"
    not_a_zip.write_text("hello")
    log_in(page, live_app)
    page.goto(f"{live_app.url}/datasets/")
    page.get_by_label("Dataset name").fill("never-created")
    page.get_by_label("File").set_input_files(not_a_zip)
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-phase")).to_have_text("Import refused: nothing was stored.")
    expect(page.locator("#import-message")).to_contain_text("zip archive")
    expect(page.locator("#import-progress")).to_be_hidden()  # no full bar after a refusal
    page.reload()
    expect(page.get_by_role("link", name="never-created")).to_have_count(0)
