"""tests/factories.py's `dataset_from_fixture` leaves the rows a real import leaves, for every committed fixture.

Labeling, training and leaderboard tests build their datasets with it instead of a zip import; this test is
what keeps the shortcut honest.
"""

import pytest

from tests.archives import FER2013_SMALL, FERPLUS_SMALL, zip_folder
from tests.factories import dataset_from_fixture
from tests.webapp.training.conftest import AFFECTNET, FER2013, FERPLUS, KEYPOINTS
from webapp.datasets.importing import run_import

pytestmark = pytest.mark.django_db


def _rows(dataset) -> list[tuple]:
    fields = ("split", "source_name", "content_hash", "width", "height", "image")
    label = ("emotion", "votes", "valence", "arousal", "keypoints", "source")
    rows = []
    for item in dataset.items.prefetch_related("labels").order_by("source_name"):
        (only,) = item.labels.all()
        stored = (item.image.name.rsplit(".", 1)[-1], item.image.size)
        rows.append((*(getattr(item, f) for f in fields[:-1]), stored, *(getattr(only, f) for f in label)))
    return rows


@pytest.mark.parametrize(
    ("folder", "format"),
    [(FER2013_SMALL, "class_folders"), (FER2013, "class_folders"), (FERPLUS_SMALL, "ferplus"), (FERPLUS, "ferplus"),
     (AFFECTNET, "affectnet"), (KEYPOINTS, "facial_keypoints")],
)  # fmt: skip
def test_the_factory_gives_the_rows_an_import_gives(folder, format, post_import, tmp_path, admin_user):
    source = folder if folder.is_file() else zip_folder(folder, tmp_path / "fixture.zip")
    imported = run_import(post_import(source, name="imported", format=format).json()["id"]).dataset
    built = dataset_from_fixture(folder, "built", format, created_by=admin_user)

    assert _rows(built) == _rows(imported) and len(_rows(built)) > 0
    assert (built.format, built.created_by) == (imported.format, imported.created_by)
