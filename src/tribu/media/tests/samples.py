"""Small files made on the fly for the media tests: real pictures and documents, and the bad ones."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def png(width: int = 40, height: int = 30, *, name: str = "photo.png", colour: str = "teal") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def jpeg_with_gps(name: str = "holiday.jpg") -> SimpleUploadedFile:
    image = Image.new("RGB", (64, 48), "orange")
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def image_bomb(name: str = "bomb.png", width: int = 60_000, height: int = 60_000) -> SimpleUploadedFile:
    """A tiny PNG whose header claims width × height pixels (its CRC recomputed so the header is valid)."""
    data = bytearray(png(1, 1).read())
    ihdr = 8 + 8  # signature, then length + "IHDR"
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12 : ihdr + 13])) & 0xFFFFFFFF
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    return SimpleUploadedFile(name, bytes(data), content_type="image/png")


def pdf(name: str = "minutes.pdf") -> SimpleUploadedFile:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return out.getvalue()


def docx(name: str = "report.docx", *, macros: bool = False) -> SimpleUploadedFile:
    types = (
        b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'wordprocessingml.document.main+xml"/></Types>'
    )
    members = {"[Content_Types].xml": types, "word/document.xml": b"<w:document/>"}
    if macros:
        members["word/vbaProject.bin"] = b"\0" * 10
    return SimpleUploadedFile(name, _zip(members))


def odt(name: str = "notes.odt") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})
    )


def plain_zip(name: str = "archive.docx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _zip({"readme.txt": b"hello"}))


def elf(name: str = "invoice.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120, content_type="application/pdf")


def windows_exe(name: str = "invoice.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120, content_type="application/pdf")


def shell_script(name: str = "notes.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"#!/bin/sh\nrm -rf ~\n", content_type="text/plain")


def csv(name: str = "members.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, "name;city\nÉlodie;Nîmes\n".encode(), content_type="text/csv")


def svg(name: str = "logo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')


def html(name: str = "page.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"<html><script>alert(1)</script></html>")
