"""Is an upload what it claims to be? ``check_upload`` decides from the file's CONTENT, never its name.

Accepted: pictures (JPEG, PNG, GIF, WebP, decoded by Pillow) and documents — PDF, office files
(docx/xlsx/pptx by their ``[Content_Types].xml``, odt/ods/odp by their ``mimetype`` member; macro-enabled
files are refused), plain text and CSV. Refused with a translated message: anything else, files over the
size limits (``tribu.media.conf``), pictures with too many pixels (checked from the header, before any
decoding: an "image bomb" never reaches memory) and programs (ELF, Windows PE/MZ, Mach-O, Java classes,
scripts starting with ``#!``) whatever their name says.

    from tribu.media.validation import check_upload
    info = check_upload(request.FILES["file"], kinds=("image",))   # ValidationError if refused
    info.kind, info.content_type, info.extension, info.width, info.height
"""

from __future__ import annotations

import io
import warnings
import zipfile
from dataclasses import dataclass
from typing import Any

import puremagic
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from . import conf

IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "GIF": ("image/gif", ".gif"),
    "WEBP": ("image/webp", ".webp"),
}
OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".xlsx",
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ".pptx",
    ),
}
ODF_TYPES = {
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
}
TEXT_EXTENSIONS = {".txt": "text/plain", ".csv": "text/csv"}
# Programs, by their first bytes: ELF, Windows PE (MZ), Mach-O (32/64 bits, both byte orders, fat
# binaries — whose magic Java classes share), shell/Python/… scripts.
EXECUTABLE_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)
EXECUTABLE_MIME_WORDS = ("executable", "x-msdownload", "x-mach-binary", "x-sharedlib", "x-elf", "x-dosexec")
# Bytes that never appear in a text file (C0 controls other than tab, newlines, form feed, escape).
BINARY_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
HEAD = 8192


@dataclass(frozen=True)
class CheckedUpload:
    kind: str  # "image" or "document"
    content_type: str
    extension: str  # with its dot: ".pdf"
    size: int
    width: int | None = None
    height: int | None = None


def _accepted_message(kinds: tuple[str, ...]) -> str:
    if kinds == ("image",):
        return _("This file is not a picture we accept: upload a JPEG, PNG, GIF or WebP image.")
    if kinds == ("document",):
        return _(
            "This file is not a document we accept: upload a PDF, an office file (Word, Excel, PowerPoint, "
            "OpenDocument), a text or a CSV file."
        )
    return _(
        "This kind of file is not accepted: upload a picture (JPEG, PNG, GIF, WebP) or a document (PDF, Word, "
        "Excel, PowerPoint, OpenDocument, text or CSV)."
    )


def _too_big(limit: int) -> ValidationError:
    return ValidationError(
        _("This file is too large: %(max)s at most.") % {"max": filesizeformat(limit)}, code="too_large"
    )


def _size_of(file: Any) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, io.SEEK_END)
        size = file.tell()
    file.seek(0)
    return int(size)


def _name_of(file: Any) -> str:
    return str(getattr(file, "name", "") or "")


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _is_executable(head: bytes) -> bool:
    if head.startswith(EXECUTABLE_MAGIC):
        return True
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return False
    return any(
        match.confidence >= 0.5 and any(word in (match.mime_type or "") for word in EXECUTABLE_MIME_WORDS)
        for match in matches
    )


def _check_image(file: Any, size: int, max_bytes: int | None) -> CheckedUpload | None:
    """The picture's facts, ``None`` when it is no picture Pillow reads, ValidationError when refused."""
    file.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Opening reads the header only: the pixel count is known before anything is decoded.
            with Image.open(file, formats=list(IMAGE_FORMATS)) as image:
                width, height = image.size
                if width < 1 or height < 1 or width * height > conf.max_image_pixels():
                    raise ValidationError(
                        _("This picture has too many pixels (%(max)s megapixels at most).")
                        % {"max": conf.max_image_pixels() // 1_000_000},
                        code="image_bomb",
                    )
                limit = min(conf.max_image_bytes(), max_bytes) if max_bytes else conf.max_image_bytes()
                if size > limit:
                    raise _too_big(limit)
                image_format = image.format or ""
                image.verify()  # the structure is sound (decoding happens when the thumbnail is made)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _("This picture has too many pixels (%(max)s megapixels at most).")
            % {"max": conf.max_image_pixels() // 1_000_000},
            code="image_bomb",
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, TypeError, EOFError):
        return None
    finally:
        file.seek(0)
    content_type, extension = IMAGE_FORMATS[image_format]
    return CheckedUpload("image", content_type, extension, size, width, height)


def _zip_document(file: Any) -> tuple[str, str] | None:
    """(content type, extension) of an office file, judged by its inner declarations, or None."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            if len(infos) > 10_000:
                return None
            names = {info.filename: info for info in infos}
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise ValidationError(
                    _("Office files with macros are not accepted: save it without macros (docx, xlsx, pptx)."),
                    code="macros",
                )
            mimetype = names.get("mimetype")
            if mimetype is not None and mimetype.file_size <= 200:
                declared = archive.read(mimetype).decode("ascii", "replace").strip()
                if declared in ODF_TYPES:
                    return declared, ODF_TYPES[declared]
                return None
            types = names.get("[Content_Types].xml")
            if types is not None and types.file_size <= 1024 * 1024:
                text = archive.read(types).decode("utf-8", "replace")
                for main, found in OOXML_MAIN.items():
                    if f'ContentType="{main}"' in text:
                        return found
    except ValidationError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        ValueError,
        KeyError,
        RuntimeError,
        NotImplementedError,
        EOFError,
    ):
        return None
    finally:
        file.seek(0)
    return None


def _is_text(file: Any) -> bool:
    file.seek(0)
    try:
        while chunk := file.read(64 * 1024):
            if isinstance(chunk, str):
                chunk = chunk.encode("utf-8", "replace")
            if any(byte in BINARY_BYTES for byte in chunk):
                return False
    finally:
        file.seek(0)
    return True


def check_upload(
    file: Any, *, kinds: tuple[str, ...] | list[str] = ("image", "document"), max_bytes: int | None = None
) -> CheckedUpload:
    """What ``file`` really is, or ``ValidationError`` with a translated reason.

    ``kinds`` limits what is accepted ("image", "document"); ``max_bytes`` lowers the size limit
    (the settings' limits apply otherwise: images and documents have their own).
    """
    kinds = tuple(kinds)
    if file is None:
        raise ValidationError(_("Choose a file to upload."), code="required")
    size = _size_of(file)
    if size == 0:
        raise ValidationError(_("This file is empty."), code="empty")
    ceiling = max(
        (conf.max_image_bytes() if "image" in kinds else 0),
        (conf.max_document_bytes() if "document" in kinds else 0),
    )
    if max_bytes:
        ceiling = min(ceiling, max_bytes)
    if size > ceiling:
        raise _too_big(ceiling)
    head = file.read(HEAD)
    file.seek(0)
    if isinstance(head, str):
        raise ValidationError(_accepted_message(kinds), code="invalid_type")
    if _is_executable(head):
        raise ValidationError(
            _("“%(name)s” is a program, not a picture or a document: programs cannot be uploaded.")
            % {"name": _name_of(file).rsplit("/", 1)[-1] or _("This file")},
            code="executable",
        )

    image = _check_image(file, size, max_bytes)
    if image is not None:
        if "image" not in kinds:
            raise ValidationError(_accepted_message(kinds), code="invalid_type")
        return image

    found: tuple[str, str] | None = None
    if head.startswith(b"%PDF-"):
        found = ("application/pdf", ".pdf")
    elif head.startswith(b"PK\x03\x04"):
        found = _zip_document(file)
    elif _extension(_name_of(file)) in TEXT_EXTENSIONS and _is_text(file):
        extension = _extension(_name_of(file))
        found = (TEXT_EXTENSIONS[extension], extension)
    if found is None or "document" not in kinds:
        raise ValidationError(_accepted_message(kinds), code="invalid_type")
    limit = min(conf.max_document_bytes(), max_bytes or conf.max_document_bytes())
    if size > limit:
        raise _too_big(limit)
    return CheckedUpload("document", found[0], found[1], size)
