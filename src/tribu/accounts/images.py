"""Photos: accept only real images (checked with Pillow, not by their name), refuse oversized files
and decompression bombs, and make the centred square thumbnail used as the member's avatar."""

from __future__ import annotations

import io
import warnings
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

THUMBNAIL_SIZE = 256
MAX_PIXELS = 40_000_000  # 40 megapixels: far above any camera photo a member uploads, far below a bomb
FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


class ImageRefused(ValueError):
    pass


def max_image_bytes() -> int:
    return int(getattr(settings, "TRIBU_MAX_IMAGE_BYTES", 2 * 1024 * 1024))


def open_image(uploaded: Any, *, max_bytes: int | None = None) -> Image.Image:
    """The decoded image, or ``ImageRefused`` with a translated reason."""
    limit = max_bytes or max_image_bytes()
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        raise ImageRefused(_("This image is too large: %(max)s at most.") % {"max": filesizeformat(limit)})
    uploaded.seek(0)
    data = uploaded.read(limit + 1)
    uploaded.seek(0)
    if len(data) > limit:
        raise ImageRefused(_("This image is too large: %(max)s at most.") % {"max": filesizeformat(limit)})
    not_image = _("This file is not an image we can read: upload a JPEG, PNG, GIF or WebP picture.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in FORMATS:
                raise ImageRefused(not_image)
            width, height = probe.size
            if width * height > MAX_PIXELS or width < 1 or height < 1:
                raise ImageRefused(_("This image has too many pixels."))
            probe.verify()  # checks the file's structure; the image must be opened again afterwards
            image = Image.open(io.BytesIO(data))
            image.load()
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(_("This image has too many pixels.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.UnidentifiedImageError):
        raise ImageRefused(not_image) from None
    return image


def square_thumbnail(image: Image.Image, size: int = THUMBNAIL_SIZE) -> ContentFile:
    """A centred square crop of ``image``, ``size`` pixels wide, as a JPEG file."""
    image = ImageOps.exif_transpose(image)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.split()[-1])
        image = background
    thumb = ImageOps.fit(image.convert("RGB"), (size, size), method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=85, optimize=True)
    return ContentFile(out.getvalue())
