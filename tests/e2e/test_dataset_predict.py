"""An admin runs the active model over a dataset in the browser and filters where it disagrees."""

import pytest
from playwright.sync_api import expect

from tests.archives import FER2013_SMALL, zip_folder

from .test_dataset_import import log_in

pytestmark = pytest.mark.e2e


def test_predict_a_dataset_then_filter_disagreements(live_app, page, tmp_path):
    log_in(page, live_app)
    page.goto(f"{live_app.url}/datasets/")
    page.get_by_label("Dataset name").fill("to-predict")
    page.get_by_label("File").set_input_files(zip_folder(FER2013_SMALL, tmp_path / "fer.zip"))
    page.get_by_role("button", name="Import").click()
    page.get_by_role("link", name="Import finished").click(timeout=90_000)

    expect(page.locator(".thumbs .predicted")).to_have_count(0)
    page.get_by_role("button", name="Predict with active model").click()
    # The progress bar follows the worker; when it is done the page reloads with the answers.
    expect(page.locator(".thumbs .predicted")).to_have_count(21, timeout=120_000)
    expect(page.locator("#prediction-phase")).to_have_text("done")

    disagreeing = page.locator(".thumbs li.disagrees").count()
    page.get_by_label("model disagrees with label").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".thumbs img")).to_have_count(disagreeing)
    page.locator(".thumbs a").first.click()
    expect(page.locator("table.predictions tbody tr")).to_have_count(1)

    page.go_back()
    with page.expect_download() as download:
        page.get_by_role("link", name="class-folders.zip").click()
    assert download.value.suggested_filename.endswith("class-folders.zip")
