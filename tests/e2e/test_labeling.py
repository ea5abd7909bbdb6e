"""Two annotators label by keyboard only; the session page shows the counts and the kappa."""

import re
import subprocess

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.archives import FER2013_SMALL, zip_folder
from tests.e2e.test_dataset_import import log_in
from tests.processes import BIN, ROOT

pytestmark = pytest.mark.e2e
EMOTION_KEYS = "12345678"


def _manage(live_app, *args) -> str:
    env = live_app.env
    return subprocess.run([BIN / "python", "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True,
                          text=True).stdout  # fmt: skip


def _shell(live_app, code: str) -> str:
    return _manage(live_app, "shell", "-c", code).strip()


@pytest.fixture
def labeling_setup(live_app, page, tmp_path):
    """An imported dataset and two annotator accounts in the live app."""
    archive = zip_folder(FER2013_SMALL, tmp_path / "faces.zip")
    log_in(page, live_app)
    page.goto(f"{live_app.url}/datasets/")
    name = f"faces-{tmp_path.name[-12:]}"
    page.get_by_label("Dataset name").fill(name)
    page.get_by_label("File").set_input_files(archive)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("link", name="Import finished")).to_be_visible(timeout=30_000)
    suffix = tmp_path.name[-6:]
    users = [f"ann-a-{suffix}", f"ann-b-{suffix}"]
    _shell(live_app, "from webapp.accounts.services import create_annotator\n"
                     + "".join(f"create_annotator({u!r}, 'pw-e2e-annotator')\n" for u in users))  # fmt: skip
    return name, users


def _create_session(page, live_app, dataset: str, name: str, labels_per_item: int, ask: str = "emotion") -> str:
    page.goto(f"{live_app.url}/labeling/")
    page.get_by_label("Ask").select_option(ask)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Dataset").select_option(label=dataset)
    page.get_by_label("Labels per item").fill(str(labels_per_item))
    page.get_by_role("button", name="Create session").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def _items_of(live_app, image_urls: list[str]) -> list[int]:
    """The dataset items behind assignment image URLs, in order (annotators never see item ids)."""
    ids = [int(url.rstrip("/").split("/")[-2]) for url in image_urls]
    out = _shell(live_app, "from webapp.labeling.models import Assignment\n"
                           f"rows = Assignment.objects.filter(pk__in={ids!r})\n"
                           "items = dict(rows.values_list('pk', 'session_item__item_id'))\n"
                           f"print('items:', *[items[i] for i in {ids!r}])")  # fmt: skip
    line = next(line for line in out.splitlines() if line.startswith("items:"))  # the shell may say more
    return [int(part) for part in line.split()[1:]]


def _label(browser, live_app, username: str, session_id: str, keys: list[str]) -> list[int]:
    """Log in as `username` and press `keys` on the labeling page; return the items labelled."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_app.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-e2e-annotator")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_app.url}/labeling/{session_id}/label/")
    seen = []
    for key in keys:
        face = page.locator("#face")
        expect(face).to_be_visible()
        if seen:  # the next face must be on screen before the next key
            expect(face).not_to_have_attribute("src", seen[-1])
        expect(face).to_have_attribute("src", re.compile(r"^/labeling/assignments/\d+/image$"))
        seen.append(face.get_attribute("src"))
        page.keyboard.press(key)
        expect(page.locator("#progress-text")).to_contain_text(f"{len(seen)} by you")
    page.goto(f"{live_app.url}/labeling/")  # leaving the page gives back the preloaded item
    context.close()
    return _items_of(live_app, seen)


def test_two_annotators_never_share_an_item_when_one_label_is_asked(live_app, browser, page, labeling_setup):
    dataset, (first, second) = labeling_setup
    session_id = _create_session(page, live_app, dataset, "one label each", 1)
    rng = np.random.default_rng(1)
    first_seen = _label(browser, live_app, first, session_id, [str(k) for k in rng.integers(1, 9, 10)])
    second_seen = _label(browser, live_app, second, session_id, [str(k) for k in rng.integers(1, 9, 10)])
    assert len(set(first_seen)) == 10 and len(set(second_seen)) == 10
    assert not set(first_seen) & set(second_seen)

    page.goto(f"{live_app.url}/labeling/{session_id}/")
    expect(page.locator("#complete-items")).to_have_text("20 of 21")
    expect(page.locator("#annotation-count")).to_have_text("20")
    expect(page.locator(f'tr[data-annotator="{first}"] .labels')).to_have_text("10")


def test_kappa_on_the_session_page_matches_the_answers(live_app, browser, page, labeling_setup):
    dataset, (first, second) = labeling_setup
    session_id = _create_session(page, live_app, dataset, "two labels each", 2)
    # Both label all 21 items: the first presses 1..8 in turn, the second agrees on every other item.
    first_keys = [EMOTION_KEYS[i % 8] for i in range(21)]
    first_seen = _label(browser, live_app, first, session_id, first_keys)
    second_seen = _label(browser, live_app, second, session_id, ["1"] * 21)
    answers = {}
    for image, key in zip(first_seen, first_keys, strict=True):
        answers.setdefault(image, []).append(int(key) - 1)
    for image in second_seen:
        answers.setdefault(image, []).append(0)
    table = np.zeros((21, 8), dtype=int)
    for row, labels in enumerate(answers.values()):
        for label in labels:
            table[row, label] += 1
    n = table.sum(axis=1)
    p_bar = ((table * (table - 1)).sum(axis=1) / (n * (n - 1))).mean()
    p_e = ((table.sum(axis=0) / n.sum()) ** 2).sum()
    page.goto(f"{live_app.url}/labeling/{session_id}/")
    expect(page.locator("#complete-items")).to_have_text("21 of 21")
    expect(page.locator("#fleiss-kappa")).to_have_text(f"{(p_bar - p_e) / (1 - p_e):.3f}")
