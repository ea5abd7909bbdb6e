"""An admin trains a model in the browser, watches it, finds it on the leaderboard, promotes it, sees a
new upload predicted by it, and rolls back."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.archives import zip_folder
from tests.e2e.test_dataset_import import log_in

pytestmark = pytest.mark.e2e

FER2013 = Path(__file__).resolve().parents[1] / "fixtures" / "fer" / "fer2013"
PHOTOS = Path(__file__).resolve().parents[1] / "fixtures" / "photos"


def import_dataset(page, live_app, tmp_path, name: str) -> None:
    page.goto(f"{live_app.url}/datasets/")
    page.get_by_label("Dataset name").fill(name)
    page.get_by_label("Format").select_option("class_folders")
    page.get_by_label("File").set_input_files(zip_folder(FER2013, tmp_path / f"{name}.zip"))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("link", name="Import finished")).to_be_visible(timeout=60_000)


def progress(page) -> float:
    return page.evaluate("document.getElementById('run-progress').value")


def test_train_watch_promote_and_roll_back(live_app, page, tmp_path):
    name = f"train-{live_app.url[-5:]}"
    log_in(page, live_app)
    import_dataset(page, live_app, tmp_path, name)

    page.get_by_role("navigation").get_by_role("link", name="Training").click()
    expect(page.get_by_role("heading", name="New training run")).to_be_visible()
    page.get_by_role("checkbox", name=re.compile(name)).check()
    page.get_by_label("Architecture").select_option("simple_cnn")
    # Enough small steps that the page's 1 s poll sees the bar at two places between 0 and 1 even on
    # a quiet machine (3 epochs of 8 could finish between two polls).
    page.get_by_label("Epochs", exact=True).fill("8")
    page.get_by_label("Batch size").fill("2")
    page.get_by_label("Run name (optional)").fill(f"browser run {name}")
    page.get_by_role("button", name="Launch").click()

    expect(page.get_by_role("heading", name=re.compile("browser run"))).to_be_visible()
    expect(page.locator("#run-phase")).to_contain_text("Epoch", timeout=60_000)
    seen = set()
    for _ in range(600):  # the bar moves while it trains: record the values it passes through
        seen.add(round(progress(page), 3))
        if page.locator("#run-status").inner_text().startswith(("evaluating", "done", "failed", "cancelled")):
            break
        page.wait_for_timeout(200)
    assert not page.locator("#run-status").inner_text().startswith(("failed", "cancelled")), page.locator(
        "#run-message"
    ).inner_text()
    assert len([v for v in seen if 0 < v < 1]) >= 2, seen
    expect(page.locator("#run-phase")).to_have_text("Finished.", timeout=180_000)
    assert progress(page) == 1
    expect(page.locator("#curve-loss polyline.line-train_loss")).to_have_count(1)
    expect(page.locator("#curve-metrics polyline.line-accuracy")).to_have_count(1)
    expect(page.locator("#run-evaluations tbody tr").filter(has_text=name)).to_have_count(1)
    expect(page.locator("#run-log")).to_contain_text("registered model version")
    expect(page.locator("#run-worker")).not_to_have_text("waiting for a worker")

    page.get_by_role("link", name=re.compile("on the leaderboard")).click()
    row = page.locator("tr[id^=version-]").filter(has_text=f"browser run {name}")
    expect(row).to_be_visible()
    expect(row).to_contain_text("simple_cnn")
    row.get_by_role("button", name="Promote").click()
    expect(page.locator("#promote-dialog")).to_be_visible()  # the candidate beside the active model first
    expect(page.locator("#promote-body")).to_contain_text(f"Make browser run {name} the model")
    page.locator("#promote-confirm").click()
    expect(page.locator("#active-model")).to_contain_text(f"browser run {name}")
    expect(row.locator(".badge")).to_have_text("active")

    # Predictions ask active_version() on every job: the API says which version that is now.
    models = page.request.get(f"{live_app.url}/api/models/").json()
    models = models["results"] if isinstance(models, dict) else models
    active = [m for m in models if m["is_active"]]
    assert [m["name"] for m in active] == [f"browser run {name}"] and active[0]["source"] == "trained"

    # A photo uploaded now is predicted by the promoted version, and its result page says so.
    page.get_by_role("navigation").get_by_role("link", name="Upload").click()
    page.locator("#file-input").set_input_files(PHOTOS / "fer_happy_on_gray.png")
    upload = page.locator(".upload-row").first
    expect(upload).to_have_attribute("data-status", "done", timeout=60_000)
    upload.get_by_role("link", name="Open the result").click()
    expect(page.locator("#model-version")).to_have_text(active[0]["tag"])

    page.goto(f"{live_app.url}/leaderboard/")
    page.get_by_role("button", name=re.compile("Roll back to")).click()
    expect(page.locator("#active-model")).to_contain_text("ferplus_default")
