import pytest

from tests.archives import FER2013_SMALL, FERPLUS_SMALL
from tests.factories import dataset_from_fixture


@pytest.fixture
def import_fixture(admin_user):
    """A committed fixture dataset with the rows an admin's import leaves (built directly: the import has its
    own tests, and tests/webapp/datasets/test_fixture_factory.py checks the rows are the same); returns it."""

    def run(folder=FER2013_SMALL, name="fer-small", format="class_folders"):
        return dataset_from_fixture(folder, name, format, created_by=admin_user)

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
