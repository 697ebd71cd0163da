import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tribu.accounts.models import CustomField
from tribu.imports import actions
from tribu.imports import fields as F
from tribu.imports.parsing import TableError, read_table

from .factories import HEADERS, to_csv

ROWS = [["élodie@exemple.fr", "Élodie", "Lefèvre", "Besançon", "", "", "", "", ""]]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "expected"),
    [("utf-8-sig", ";", "utf-8-sig"), ("utf-8", ",", "utf-8"), ("latin-1", ";", "cp1252"),
     ("cp1252", "\t", "cp1252")],
)
def test_it_reads_csv_in_any_usual_encoding_and_separator(encoding, delimiter, expected):
    table = read_table(to_csv(ROWS, delimiter=delimiter, encoding=encoding), "membres.csv")
    assert table.headers == HEADERS
    assert table.rows[0][1] == "Élodie" and table.rows[0][3] == "Besançon"
    assert table.delimiter == delimiter
    assert table.encoding == expected


def test_it_reads_the_first_sheet_of_an_excel_file():
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Email", "Début adhésion"])
    sheet.append(["a@exemple.fr", dt.datetime(2026, 3, 1)])
    out = io.BytesIO()
    workbook.save(out)
    table = read_table(out.getvalue(), "x.xlsx")
    assert table.headers == ["Email", "Début adhésion"]
    assert table.rows == [["a@exemple.fr", dt.datetime(2026, 3, 1)]]
    assert F.parse_date(table.rows[0][1]) == dt.date(2026, 3, 1)


@pytest.mark.parametrize("data", [b"", b"\n\n", b"PK\x03\x04not really a zip"])
def test_unreadable_files_get_a_clear_message(data):
    with pytest.raises(TableError):
        read_table(data, "x.xlsx" if data.startswith(b"PK") else "x.csv")


def test_dates_accept_french_and_iso_forms_and_refuse_impossible_ones():
    assert F.parse_date("05/03/2026") == dt.date(2026, 3, 5)
    assert F.parse_date("2026-03-05") == dt.date(2026, 3, 5)
    with pytest.raises(ValueError, match="impossible date"):
        F.parse_date("31/02/2026")
    with pytest.raises(ValueError, match="unreadable"):
        F.parse_date("next tuesday")


@pytest.mark.django_db
def test_french_and_english_headers_are_guessed():
    CustomField.objects.create(key="region-origine", kind="single_choice", label_fr="Région d'origine")
    fields = list(CustomField.objects.all())
    mapping = F.guess_mapping("members", ["Prénom", "NOM", "E-mail", "Ville", "Compétences", "Région d'origine",
                                          "Whatever"], fields)
    assert mapping == {"0": "first_name", "1": "last_name", "2": "email", "3": "city", "4": "skills",
                       "5": "cf:region-origine", "6": ""}
    english = F.guess_mapping("members", ["First name", "Last name", "Email address", "City"], fields)
    assert list(english.values()) == ["first_name", "last_name", "email", "city"]


@pytest.mark.django_db
def test_a_mapping_is_remembered_for_the_next_file_with_the_same_headers(alice):
    data = to_csv(ROWS, headers=["Courriel perso", "Prénom", "Bidule", "Ville", "a", "b", "c", "d", "e"])
    first = actions.start_import(alice, SimpleUploadedFile("a.csv", data), "members")
    assert first.mapping["0"] == ""  # "Courriel perso" is not a known header
    actions.set_mapping(alice, first, {**first.mapping, "0": "email", "2": "job_title"})
    # Same columns, another order: the choice follows the header names.
    again = to_csv([list(reversed(ROWS[0]))], headers=list(reversed(
        ["Courriel perso", "Prénom", "Bidule", "Ville", "a", "b", "c", "d", "e"])))
    second = actions.start_import(alice, SimpleUploadedFile("b.csv", again), "members")
    assert second.mapping["8"] == "email" and second.mapping["6"] == "job_title" and second.mapping["7"] == "first_name"
