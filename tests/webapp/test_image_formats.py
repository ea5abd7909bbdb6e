"""One list of accepted image formats: the check, its messages, the upload page and the docs agree."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml.faces.images import ACCEPTED_FORMATS, accepted_formats_text, accepted_mime_types, load_image
from webapp.core.images import BadImageError, inspect_image

DOCS = Path(__file__).resolve().parents[2] / "docs"


def encoded(format_name: str) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (32, 24), (200, 40, 40))
    if format_name == "MPO":  # the photo, then a second frame that must not be read
        image.save(buffer, format="MPO", save_all=True, append_images=[Image.new("RGB", (32, 24), (0, 0, 255))])
    else:
        image.save(buffer, format=format_name)
    return buffer.getvalue()


@pytest.mark.parametrize("format_name", sorted(ACCEPTED_FORMATS))
def test_every_listed_format_passes_the_check_and_loads(format_name):
    data = encoded(format_name)

    info = inspect_image(data)
    pixels = load_image(data)

    assert info.format == format_name and info.suffix == ACCEPTED_FORMATS[format_name][0]
    assert pixels.shape == (24, 32, 3) and abs(int(pixels[..., 0].mean()) - 200) < 10  # the first frame, red


def test_a_format_off_the_list_is_refused_with_the_list():
    with pytest.raises(BadImageError) as error:
        inspect_image(encoded("GIF"))
    assert str(error.value) == f"GIF images are not accepted; use {accepted_formats_text()}"


def test_the_docs_and_the_page_use_the_same_list(client, settings):
    settings.APP = {**settings.APP, "ALLOW_ANONYMOUS_DEMO": True}
    for doc in ("uploads.md", "datasets.md"):
        assert accepted_formats_text() in (DOCS / doc).read_text(), doc

    page = client.get("/upload/").content.decode()
    assert accepted_formats_text() in page and f'accept="{accepted_mime_types()}"' in page


def test_accept_attribute_lists_each_mime_type_once():
    types = accepted_mime_types().split(",")
    assert len(types) == len(set(types)) and "image/bmp" in types and np.all([t.startswith("image/") for t in types])
