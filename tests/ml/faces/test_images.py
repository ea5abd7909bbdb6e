"""Image loading: every source gives the same upright RGB array; bad input gives one clear error."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ml.faces import InvalidImageError, load_image
from ml.pipeline import Pipeline
from ml.settings import PipelineSettings
from tests.ml.faces.photos import PHOTOS

ASTRONAUT = PHOTOS / "astronaut.jpg"


def test_path_bytes_file_pil_and_array_agree():
    reference = load_image(ASTRONAUT)
    data = ASTRONAUT.read_bytes()

    assert reference.shape == (512, 512, 3) and reference.dtype == np.uint8
    for source in (str(ASTRONAUT), data, bytearray(data), io.BytesIO(data), Image.open(ASTRONAUT), reference):
        np.testing.assert_array_equal(load_image(source), reference)


def test_exif_orientation_is_applied(tmp_path):
    wide = np.zeros((20, 60, 3), np.uint8)
    wide[:, :10] = 255  # a white band on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    Image.fromarray(wide).save(tmp_path / "phone.jpg", exif=exif, quality=95)

    upright = load_image(tmp_path / "phone.jpg")

    assert upright.shape == (60, 20, 3)
    assert upright[:10].mean() > 200  # the band is now on top


def test_grayscale_alpha_and_float_arrays_become_rgb_uint8():
    assert load_image(np.zeros((5, 6), np.uint8)).shape == (5, 6, 3)
    assert load_image(np.zeros((5, 6, 4), np.uint8)).shape == (5, 6, 3)
    assert load_image(np.ones((5, 6, 3), np.float32)).max() == 255


def test_transparent_png_is_flattened_on_white(tmp_path):
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(tmp_path / "clear.png")

    assert load_image(tmp_path / "clear.png").min() == 255


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello, I am a text file\n", "not an image"),
        (b"", "empty"),
        (ASTRONAUT.read_bytes()[:5000], "corrupt or truncated"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not an image|could not be read|corrupt"),
    ],
    ids=["text", "empty", "truncated-jpeg", "garbage-png"],
)
def test_bad_files_give_a_clear_error(tmp_path, data, message):
    path = tmp_path / "upload.jpg"
    path.write_bytes(data)

    with pytest.raises(InvalidImageError, match=message):
        load_image(path)
    with pytest.raises(InvalidImageError, match=message.replace("empty", "empty")):
        load_image(data)


def test_missing_file_and_odd_types_are_refused(tmp_path):
    with pytest.raises(InvalidImageError, match="does not exist"):
        load_image(tmp_path / "nope.jpg")
    with pytest.raises(InvalidImageError, match="cannot read an image from a int"):
        load_image(42)
    with pytest.raises(InvalidImageError, match="expected an"):
        load_image(np.zeros((2, 2, 2, 2), np.uint8))
    with pytest.raises(InvalidImageError, match="uint8"):
        load_image(np.full((4, 4), 300, np.int32))


def test_pixel_cap_refuses_huge_images_before_decoding():
    with pytest.raises(InvalidImageError, match="512x512 = 262,144 pixels; the limit is 100,000"):
        load_image(ASTRONAUT, limit=100_000)
    settings = PipelineSettings.from_env({"FER_MAX_IMAGE_PIXELS": "1000"})
    with pytest.raises(InvalidImageError, match="limit is 1,000"):
        Pipeline.from_settings(settings, classify=False).analyze(ASTRONAUT.read_bytes())
