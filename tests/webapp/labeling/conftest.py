import pytest

from tests.archives import FER2013_SMALL, FERPLUS_SMALL, zip_folder
from webapp.datasets.importing import run_import


@pytest.fixture
def import_fixture(post_import, tmp_path):
    """Import a committed fixture dataset as an admin would; returns its Dataset."""

    def run(folder=FER2013_SMALL, name="fer-small", format="class_folders"):
        response = post_import(zip_folder(folder, tmp_path / f"{name}.zip"), name=name, format=format)
        return run_import(response.json()["id"]).dataset

    return run


@pytest.fixture
def fer_small(import_fixture):
    return import_fixture()


@pytest.fixture
def ferplus_small(import_fixture):
    return import_fixture(FERPLUS_SMALL, "ferplus-small", "ferplus")


@pytest.fixture
def make_annotators(db):
    from webapp.accounts.services import create_annotator

    def make(count: int, prefix: str = "annotator"):
        return [create_annotator(f"{prefix}{i}", "pw-annotator-1") for i in range(count)]

    return make
