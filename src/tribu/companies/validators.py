"""Validation of what people type about a company: the SIRET number and the logo."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# La Poste's establishments share the SIREN 356 000 000; most of their SIRET numbers do not pass the
# Luhn check: for them the rule is that the sum of the 14 digits is a multiple of 5.
LA_POSTE_SIREN = "356000000"
LOGO_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        n = int(char)
        if index % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def normalise_siret(value: str) -> str:
    return "".join((value or "").split())


VAT_FORMAT = re.compile(r"^[A-Z]{2}[0-9A-Z+*]{2,12}$")


def normalise_vat(value: str) -> str:
    """``fr 32 123 456 789`` → ``FR32123456789`` (spaces, dots and dashes dropped, upper case)."""
    return "".join(c for c in (value or "").upper() if c not in " .-\t")


def validate_vat(value: str) -> None:
    """An EU VAT number: two letters for the country, then 2 to 12 digits or letters (empty: none)."""
    if value and not VAT_FORMAT.match(value):
        raise ValidationError(_("Enter the VAT number as printed on the company's invoices, e.g. FR32123456789."),
                              code="invalid_vat")


def siret_is_valid(value: str) -> bool:
    siret = normalise_siret(value)
    if len(siret) != 14 or not siret.isdigit():
        return False
    if siret.startswith(LA_POSTE_SIREN):
        return luhn_ok(siret) or sum(int(c) for c in siret) % 5 == 0
    return luhn_ok(siret)


def validate_siret(value: str) -> None:
    siret = normalise_siret(value)
    if not siret:
        return
    if len(siret) != 14 or not siret.isdigit():
        raise ValidationError(_("A SIRET number has 14 digits."), code="siret_length")
    if not siret_is_valid(siret):
        raise ValidationError(
            _("This SIRET number is not valid: check the digits (its checksum does not match)."), code="siret_checksum"
        )


def validate_logo(upload: Any) -> None:
    """A real image (PNG, JPEG, GIF or WebP, read by Pillow) no larger than ``TRIBU_MAX_IMAGE_BYTES``."""
    from PIL import Image, UnidentifiedImageError

    limit = int(settings.TRIBU_MAX_IMAGE_BYTES)
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ValidationError(
            _("The logo is too large (%(size)s): the limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="logo_too_large",
        )
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("This file is not an image we can read: upload a PNG, JPEG, GIF or WebP logo."), code="logo_not_image"
        ) from None
    finally:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            upload.seek(0)
    if image_format not in LOGO_FORMATS:
        raise ValidationError(
            _("This file is not an image we can read: upload a PNG, JPEG, GIF or WebP logo."), code="logo_not_image"
        )
