"""Pictures are re-encoded before they are kept: turned upright, shrunk to a sensible size and written
again without their metadata (EXIF, with the camera and the place it was taken), plus a thumbnail."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from .validation import CheckedUpload

MAX_SIDE = 2560
THUMB_SIDE = 480


@dataclass
class PreparedImage:
    content: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white (JPEG has no transparency)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.split()[-1])
        return background
    return image.convert("RGB")


def _encode(image: Image.Image, image_format: str) -> bytes:
    out = io.BytesIO()
    if image_format == "JPEG":
        _flatten(image).save(out, format="JPEG", quality=88, optimize=True)
    elif image_format == "WEBP":
        image.save(out, format="WEBP", quality=85)
    else:  # PNG (GIF stills too are written as PNG: same look, no palette surprises)
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def prepare_image(file: Any, checked: CheckedUpload) -> tuple[PreparedImage, CheckedUpload]:
    """The picture to keep and its thumbnail; ``checked`` updated with the kept file's facts."""
    file.seek(0)
    original = file.read()
    file.seek(0)
    with Image.open(io.BytesIO(original)) as source:
        animated = getattr(source, "is_animated", False)
        source.load()
        upright = ImageOps.exif_transpose(source)
        thumb = upright.copy()
        thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
        thumb_out = io.BytesIO()
        _flatten(thumb).save(thumb_out, format="JPEG", quality=82, optimize=True)
        if animated and checked.content_type == "image/gif":
            # An animated GIF keeps its frames (GIF carries no EXIF to strip).
            data, content_type, extension = original, checked.content_type, checked.extension
            width, height = source.size
        else:
            kept = upright
            if max(kept.size) > MAX_SIDE:
                kept = kept.copy()
                kept.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            image_format = {"image/jpeg": "JPEG", "image/webp": "WEBP"}.get(checked.content_type, "PNG")
            data = _encode(kept, image_format)
            content_type = {"JPEG": "image/jpeg", "WEBP": "image/webp"}.get(image_format, "image/png")
            extension = {"JPEG": ".jpg", "WEBP": ".webp"}.get(image_format, ".png")
            width, height = kept.size
    prepared = PreparedImage(ContentFile(data), ContentFile(thumb_out.getvalue()), width, height)
    facts = CheckedUpload("image", content_type, extension, len(data), width, height)
    return prepared, facts
