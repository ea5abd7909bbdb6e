"""Loading user images safely: any common source in, an upright RGB uint8 array out, or one clear error."""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ml.settings import DEFAULT_MAX_PIXELS  # the decoded size cap (FER_MAX_IMAGE_PIXELS); see ml.settings

# A decompression bomb is refused from the header alone, before its pixels are decoded.

# The one list of image formats the application accepts from people (Pillow's format names): the
# upload and import checks, their messages, the upload page's file picker and the docs all follow
# it (tests/webapp/test_image_formats.py holds the docs to it). Value: the suffix a stored copy
# gets, the name shown to people, the MIME type. MPO is what phones save "multi-picture" photos
# as: a JPEG whose first frame is the photo; it is read as that first frame.
ACCEPTED_FORMATS: dict[str, tuple[str, str, str]] = {
    "JPEG": (".jpg", "JPEG", "image/jpeg"),
    "MPO": (".jpg", "MPO (multi-picture JPEG)", "image/jpeg"),
    "PNG": (".png", "PNG", "image/png"),
    "WEBP": (".webp", "WebP", "image/webp"),
    "BMP": (".bmp", "BMP", "image/bmp"),
}


def accepted_formats_text() -> str:
    """The list for messages and pages: "JPEG, MPO (multi-picture JPEG), PNG, WebP or BMP"."""
    names = [name for _suffix, name, _mime in ACCEPTED_FORMATS.values()]
    return ", ".join(names[:-1]) + " or " + names[-1]


def accepted_mime_types() -> str:
    """The file picker's `accept` attribute."""
    return ",".join(dict.fromkeys(mime for _suffix, _name, mime in ACCEPTED_FORMATS.values()))


ImageSource = str | os.PathLike | bytes | bytearray | memoryview | IO[bytes] | Image.Image | np.ndarray


class InvalidImageError(ValueError):
    """The input is not a readable image (wrong format, corrupt, truncated, empty, or too large)."""


def load_image(source: ImageSource, limit: int | None = None) -> np.ndarray:
    """RGB uint8 (H, W, 3) from a path, bytes, a binary file object, a PIL image or an array.

    EXIF orientation is applied, so a phone photo comes out the way it was held. Arrays are taken
    as RGB (or grayscale (H, W)); an alpha channel is dropped. Images over `limit` pixels
    (default: DEFAULT_MAX_PIXELS) are refused before they are decoded.
    """
    limit = limit or DEFAULT_MAX_PIXELS
    if isinstance(source, np.ndarray):
        return _from_array(source, limit)
    if isinstance(source, Image.Image):
        return _from_pil(source, limit, name="image")
    name, stream = _open(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(stream)
    except UnidentifiedImageError:
        raise InvalidImageError(f"{name} is not an image in a format we can read ({accepted_formats_text()})") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidImageError(f"{name} is too large to decode safely (over {limit:,} pixels)") from None
    except OSError as exc:
        raise InvalidImageError(f"{name} could not be read: {exc}") from None
    return _from_pil(image, limit, name)


def _open(source) -> tuple[str, IO[bytes]]:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise InvalidImageError(f"{path} does not exist or is not a file")
        if path.stat().st_size == 0:
            raise InvalidImageError(f"{path} is empty")
        return str(path), io.BytesIO(path.read_bytes())
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise InvalidImageError("the upload is empty (0 bytes)")
        return "the upload", io.BytesIO(bytes(source))
    if hasattr(source, "read"):
        return getattr(source, "name", None) or "the upload", source
    raise InvalidImageError(f"cannot read an image from a {type(source).__name__}")


def _from_pil(image: Image.Image, limit: int, name: str) -> np.ndarray:
    width, height = image.size
    if width * height > limit:
        raise InvalidImageError(f"{name} is {width}x{height} = {width * height:,} pixels; the limit is {limit:,}")
    if width == 0 or height == 0:
        raise InvalidImageError(f"{name} has no pixels ({width}x{height})")
    try:
        image.load()  # decode now, so a truncated file fails here and not later
        image = ImageOps.exif_transpose(image)
        image = _to_rgb(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidImageError(f"{name} is corrupt or truncated: {exc}") from None
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent areas over white, as a browser would show them.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        peak = array.max() or 1.0
        return Image.fromarray((array / peak * 255).astype(np.uint8)).convert("RGB")
    return image.convert("RGB")


def _from_array(array: np.ndarray, limit: int) -> np.ndarray:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InvalidImageError(f"expected an (H, W), (H, W, 3) or (H, W, 4) array, got shape {array.shape}")
    if array.shape[0] * array.shape[1] > limit:
        raise InvalidImageError(f"the array has {array.shape[0] * array.shape[1]:,} pixels; the limit is {limit:,}")
    if array.size == 0:
        raise InvalidImageError(f"the array has no pixels {array.shape}")
    if array.dtype != np.uint8:
        if np.issubdtype(array.dtype, np.floating) and np.nanmin(array) >= 0 and np.nanmax(array) <= 1:
            array = np.round(np.nan_to_num(array) * 255)
        elif not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() > 255:
            raise InvalidImageError(f"expected uint8 pixels (or floats in [0, 1]), got {array.dtype}")
        array = array.astype(np.uint8)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    return np.ascontiguousarray(array[:, :, :3])
