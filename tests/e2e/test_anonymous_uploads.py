"""A visitor without an account picks several photos at once: every one stays theirs."""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PHOTOS = Path(__file__).resolve().parents[1] / "fixtures" / "photos"


def test_several_photos_picked_at_once_all_belong_to_the_anonymous_visitor(live_app, page, tmp_path):
    photos = [shutil.copy(PHOTOS / "blank.png", tmp_path / f"photo-{n}.png") for n in range(3)]
    page.goto(f"{live_app.url}/upload/")  # no session yet: the first upload makes it
    page.locator("#file-input").set_input_files(photos)
    rows = page.locator(".upload-row")
    expect(rows).to_have_count(3)
    for index in range(3):  # each row follows its own job: a 404 here meant another session owned it
        expect(rows.nth(index)).to_have_attribute("data-status", "done", timeout=60_000)
    mine = page.evaluate("fetch('/api/uploads/', {headers: {Accept: 'application/json'}}).then(r => r.json())")
    assert sorted(u["original_name"] for u in mine["results"]) == ["photo-0.png", "photo-1.png", "photo-2.png"]
