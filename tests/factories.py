"""factory_boy factories for the rows most tests need, and datasets built straight from the committed fixtures.

Tests whose subject is not the import (labeling, training, the leaderboard) used to build every dataset
through a zip upload and `run_import`; `dataset_from_fixture` gives the same rows (the same readers parse
the same files: splits, emotions, votes, V/A, keypoints, source names, stored images) without the zip,
the request or the job. The import itself keeps its own tests in tests/webapp/datasets/.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import factory
from django.core.files.base import ContentFile
from factory.django import DjangoModelFactory
from PIL import Image


def png_bytes(size: tuple[int, int] = (48, 48), grey: int = 128) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, grey).save(buffer, format="PNG")
    return buffer.getvalue()


class UserFactory(DjangoModelFactory):
    class Meta:
        model = "auth.User"
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-test-123")


class DatasetFactory(DjangoModelFactory):
    class Meta:
        model = "datasets.Dataset"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"dataset-{n}")
    format = "class_folders"


class ItemFactory(DjangoModelFactory):
    """An item whose image is `image_bytes` (a grey PNG unless given), stored where an import would store it."""

    class Meta:
        model = "datasets.Item"
        exclude = ("image_bytes", "info")

    dataset = factory.SubFactory(DatasetFactory)
    split = "train"
    image_bytes = factory.LazyFunction(png_bytes)
    info = factory.LazyAttribute(lambda o: _inspect(o.image_bytes))
    content_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.image_bytes).hexdigest())
    source_name = factory.Sequence(lambda n: f"train/happy/{n}.png")
    width = factory.LazyAttribute(lambda o: o.info.width)
    height = factory.LazyAttribute(lambda o: o.info.height)
    image = factory.LazyAttribute(lambda o: ContentFile(o.image_bytes, name="image" + o.info.suffix))


class LabelFactory(DjangoModelFactory):
    class Meta:
        model = "datasets.Label"

    item = factory.SubFactory(ItemFactory)
    source = "original"
    emotion = "happy"


def _inspect(data: bytes):
    from webapp.core.images import inspect_image

    return inspect_image(data)


def dataset_from_fixture(folder: Path, name: str, format: str = "class_folders", created_by=None):
    """The Dataset an import of `folder` (a class-folder tree, FER+ folders, AffectNet CSV + images, or a
    facial-keypoints CSV) would leave: one item and one original label per readable, distinct image; rows
    the reader marks as errors and repeated images are skipped, as the import skips them."""
    from webapp.datasets import records as readers

    dataset = DatasetFactory(name=name, format=format, created_by=created_by)
    seen = set()
    for record in _records(readers, Path(folder), format):
        if record.error:
            continue
        content_hash = hashlib.sha256(record.image).hexdigest()
        if content_hash in seen:
            continue
        seen.add(content_hash)
        item = ItemFactory(dataset=dataset, split=record.split, image_bytes=record.image,
                           source_name=record.where[:500])  # fmt: skip
        LabelFactory(item=item, emotion=record.emotion, votes=record.votes, valence=record.valence,
                     arousal=record.arousal, keypoints=record.keypoints)  # fmt: skip
    return dataset


def _records(readers, folder: Path, format: str):
    from webapp.datasets.archive import FolderTree

    if format == "facial_keypoints":
        yield from readers.keypoints_records(lambda: open(folder, encoding="utf-8-sig", newline=""))  # noqa: SIM115 - the reader closes it
        return
    with FolderTree(folder) as tree:
        if format == "ferplus":
            yield from readers.ferplus_records(tree)
        elif format == "affectnet":
            yield from readers.affectnet_records(tree)
        else:
            yield from readers.class_folder_records(tree)
