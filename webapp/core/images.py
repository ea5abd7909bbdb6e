"""Checking image bytes from outside: format by content, pixel count, corrupt files."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from ml.faces.images import ACCEPTED_FORMATS, accepted_formats_text


class BadImageError(ValueError):
    """The bytes are not an image we accept; the message says why."""


@dataclass(frozen=True)
class ImageInfo:
    format: str
    suffix: str
    width: int
    height: int


def inspect_image(data: bytes, limit: int | None = None) -> ImageInfo:
    """Identify and fully decode `data`; raise BadImageError for anything we would not show.

    The pixel cap is the one the face pipeline uses (FER_MAX_IMAGE_PIXELS), so an image
    stored here can always be analysed later.
    """
    limit = limit or settings.CONFIG.pipeline.max_image_pixels
    if not data:
        raise BadImageError("empty file")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise BadImageError(f"{image.format} images are not accepted; use {accepted_formats_text()}")
            width, height = image.size
            if width * height > limit:
                raise BadImageError(f"{width}x{height} is over the limit of {limit:,} pixels")
            image.load()  # decodes every pixel (of the first frame, for MPO): truncated or corrupt files fail here
            return ImageInfo(image.format, ACCEPTED_FORMATS[image.format][0], width, height)
    except UnidentifiedImageError:
        raise BadImageError(f"not an image ({accepted_formats_text()})") from None
    except Image.DecompressionBombError as exc:
        raise BadImageError(f"image too large: {exc}") from None
    except (OSError, SyntaxError) as exc:
        raise BadImageError(f"corrupt image: {exc}") from None
