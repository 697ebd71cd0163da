"""check_upload judges files by their content: what members upload is accepted, the rest refused clearly."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tribu.media.validation import check_upload

from . import samples


def refusal(file, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check_upload(file, **kwargs)
    return caught.value


def test_a_picture_is_accepted_with_its_real_type_and_size():
    info = check_upload(samples.png(40, 30, name="photo.jpeg"))
    assert (info.kind, info.content_type, info.extension, info.width, info.height) == (
        "image",
        "image/png",
        ".png",
        40,
        30,
    )


@pytest.mark.parametrize(
    ("make", "content_type", "extension"),
    [
        (samples.pdf, "application/pdf", ".pdf"),
        (samples.docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
        (samples.odt, "application/vnd.oasis.opendocument.text", ".odt"),
        (samples.csv, "text/csv", ".csv"),
    ],
)
def test_documents_are_accepted_by_their_content(make, content_type, extension):
    info = check_upload(make())
    assert (info.kind, info.content_type, info.extension) == ("document", content_type, extension)


@pytest.mark.parametrize("make", [samples.elf, samples.windows_exe, samples.shell_script])
def test_a_program_renamed_as_a_document_is_refused(make):
    error = refusal(make())
    assert error.code == "executable"
    assert "program" in error.messages[0]


def test_the_refusal_of_a_program_is_in_french_for_a_french_member():
    with translation.override("fr"):
        message = refusal(samples.elf()).messages[0]
    assert "programme" in message


def test_an_image_bomb_is_refused_before_it_is_decoded():
    error = refusal(samples.image_bomb())
    assert error.code == "image_bomb"
    assert "pixels" in error.messages[0]


def test_a_picture_just_over_the_pixel_limit_is_refused(settings):
    settings.TRIBU_MEDIA_MAX_IMAGE_PIXELS = 1000
    assert refusal(samples.png(40, 30)).code == "image_bomb"


def test_files_over_the_size_limits_are_refused(settings):
    settings.TRIBU_MEDIA_MAX_IMAGE_BYTES = 50
    error = refusal(samples.png(40, 30))
    assert error.code == "too_large"
    assert "50" in error.messages[0]
    settings.TRIBU_MEDIA_MAX_DOCUMENT_BYTES = 20
    assert refusal(samples.pdf()).code == "too_large"
    assert refusal(samples.docx(), max_bytes=10).code == "too_large"


@pytest.mark.parametrize("make", [samples.svg, samples.html, samples.plain_zip])
def test_other_files_are_refused_whatever_their_name(make):
    assert refusal(make()).code == "invalid_type"


def test_office_files_with_macros_are_refused():
    assert refusal(samples.docx(name="report.docm", macros=True)).code == "macros"


def test_a_binary_file_named_txt_is_refused():
    assert refusal(SimpleUploadedFile("data.txt", b"abc\x00\x01def")).code == "invalid_type"


def test_kinds_restrict_what_is_accepted():
    assert refusal(samples.pdf(), kinds=("image",)).code == "invalid_type"
    assert refusal(samples.png(), kinds=("document",)).code == "invalid_type"
    assert "JPEG" in refusal(samples.pdf(), kinds=("image",)).messages[0]


def test_an_empty_file_is_refused():
    assert refusal(SimpleUploadedFile("empty.pdf", b"")).code == "empty"


def test_the_file_can_be_read_again_after_the_check():
    upload = samples.pdf()
    check_upload(upload)
    assert upload.read(5) == b"%PDF-"


def test_a_callers_limit_never_raises_the_settings_one(settings):
    settings.TRIBU_MEDIA_MAX_IMAGE_BYTES = 50
    assert refusal(samples.png(40, 30), max_bytes=10_000_000).code == "too_large"


def test_an_old_binary_office_file_is_refused():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
    assert refusal(SimpleUploadedFile("budget.xls", ole)).code == "invalid_type"
