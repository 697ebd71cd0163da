"""Test data for imports: tiers, custom fields, companies, and a generator of messy member files."""

from __future__ import annotations

import csv
import io
import random

from tribu.accounts.models import CustomField
from tribu.companies.models import Company
from tribu.memberships.models import Tier

HEADERS = ["E-mail", "Prénom", "Nom", "Ville", "Compétences", "Formule", "Début adhésion", "Fin adhésion",
           "Région d'origine"]


def setup_reference_data() -> dict:
    tiers = {
        "membre": Tier.objects.create(slug="membre", name_fr="Membre", name_en="Member", position=1),
        "premium": Tier.objects.create(slug="premium", name_fr="Premium", name_en="Premium", position=2),
    }
    region = CustomField.objects.create(
        key="region-origine", kind="single_choice", label_fr="Région d'origine", label_en="Home region",
        choices=[{"value": "bretagne", "label_fr": "Bretagne", "label_en": "Brittany"},
                 {"value": "alsace", "label_fr": "Alsace", "label_en": "Alsace"}],
    )
    company = Company.objects.create(name="Acme", slug="acme", siret="12345678900011")
    return {"tiers": tiers, "region": region, "company": company}


def member_rows(n: int, *, messy: bool = True, seed: int = 7) -> tuple[list[list[str]], dict[str, int]]:
    """``n`` data rows; when ``messy``, about 1 in 10 is broken in a known way. Returns the rows and
    the expected count of rows in error."""
    rnd = random.Random(seed)
    rows: list[list[str]] = []
    errors = 0
    for i in range(n):
        email = f"membre{i}@exemple.fr"
        row = [email, f"Prénom{i}", f"Nom{i}", rnd.choice(["Rennes", "Strasbourg", "Besançon", "Évry"]),
               "python; gestion de projet" if i % 3 else "cuisine", "membre" if i % 2 else "Premium",
               f"{1 + i % 28:02d}/01/2026", "31/12/2099", rnd.choice(["Bretagne", "alsace", ""])]
        if messy and i % 10 == 5:
            kind = (i // 10) % 4
            if kind == 0:
                row[0] = f"pas-une-adresse{i}"
            elif kind == 1:
                row[6] = "31/02/2026"
            elif kind == 2:
                row[8] = "Atlantide"
            else:
                row[5] = "platine"
            errors += 1
        rows.append(row)
        if messy and i % 50 == 7:  # the same email again, later in the file: the second is in error
            rows.append(list(row))
            errors += 1
    return rows, {"error": errors, "valid": len(rows) - errors}


def to_csv(rows: list[list[str]], *, headers: list[str] = HEADERS, delimiter: str = ";",
           encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)
