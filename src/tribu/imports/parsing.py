"""Reading an uploaded table: CSV (UTF-8 with or without BOM, else Windows-1252/Latin-1; `,` `;` or
tab, sniffed) or XLSX (first sheet, with openpyxl). Returns the headers and the rows as lists of
strings (XLSX dates stay ``date``/``datetime`` objects, the validators accept both)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
DELIMITERS = ",;\t"
XLSX_MAGIC = b"PK\x03\x04"


class TableError(ValueError):
    """The file cannot be read as a table; the message is for the person who uploaded it."""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with: UTF-8 (BOM or not), else Windows-1252, else Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    sample = text[:64 * 1024]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        counts = {d: first.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _clean(cell: Any) -> Any:
    if cell is None:
        return ""
    if isinstance(cell, dt.datetime | dt.date):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _finish(rows: list[list[Any]], encoding: str, delimiter: str) -> Table:
    rows = [row for row in rows if any(str(c).strip() for c in row)]
    if not rows:
        raise TableError(_("The file is empty."))
    headers = [str(h).strip() for h in rows[0]]
    if not any(headers):
        raise TableError(_("The first line must hold the column names."))
    if len(rows) - 1 > MAX_ROWS:
        raise TableError(_("The file has more than %(max)s lines: split it.") % {"max": MAX_ROWS})
    width = len(headers)
    body = []
    for row in rows[1:]:
        cells = [_clean(c) for c in row[:width]]
        cells += [""] * (width - len(cells))
        body.append(cells)
    return Table(headers=headers, rows=body, encoding=encoding, delimiter=delimiter)


def read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    if "\x00" in text[:4096]:
        raise TableError(_("This file is not a CSV or Excel file."))
    delimiter = sniff_delimiter(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise TableError(_("The CSV file could not be read: %(error)s") % {"error": exc}) from exc
    return _finish(rows, encoding, delimiter)


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise TableError(_("The Excel file could not be read.")) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    return _finish(rows, "xlsx", "")


def read_table(data: bytes, filename: str = "") -> Table:
    if len(data) > MAX_BYTES:
        raise TableError(_("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return read_xlsx(data)
    return read_csv(data)
