"""Demo data: Breton craft companies (menuiseries, ateliers de céramique, forges…), three partner
levels with a few partners, and about sixty demo members attached to them, one contact each.

Idempotent and fast: companies are keyed on their slug, levels on their French name, and members are
attached only to companies that have nobody yet (in bulk). Memberships are left to the memberships
step, which runs after this one."""

from __future__ import annotations

import io
import random
from datetime import datetime
from typing import Any

from django.db import transaction

SEED = 2026
LEVELS = [("Mécène or", "Gold sponsor", 1), ("Mécène argent", "Silver sponsor", 2), ("Partenaire", "Partner", 3)]
# name, sector, size, city, postcode, partner level (French name) or "", public page
COMPANIES: list[tuple[str, str, str, str, str, str, bool]] = [
    ("Menuiserie Le Gall", "Menuiserie", "10-49", "Brest", "29200", "Mécène or", True),
    ("Forge de Carhaix", "Forge et ferronnerie", "1-9", "Carhaix-Plouguer", "29270", "Mécène argent", True),
    ("Faïencerie de Locmaria", "Céramique", "10-49", "Quimper", "29000", "Mécène or", True),
    ("Atelier Terre d'Iroise", "Céramique", "1-9", "Le Conquet", "29217", "", False),
    ("Ébénisterie Kerlann", "Ébénisterie", "1-9", "Vannes", "56000", "Partenaire", True),
    ("Charpentes du Trégor", "Charpente", "10-49", "Lannion", "22300", "Partenaire", False),
    ("Forges de l'Argoat", "Forge et ferronnerie", "1-9", "Guingamp", "22200", "", False),
    ("Tonnellerie de la Rance", "Tonnellerie", "1-9", "Dinan", "22100", "", True),
    ("Vannerie du Blavet", "Vannerie", "1-9", "Pontivy", "56300", "", False),
    ("Poterie de Quimperlé", "Céramique", "1-9", "Quimperlé", "29300", "", True),
    ("Menuiserie Quéméner", "Menuiserie", "1-9", "Morlaix", "29600", "", False),
    ("Tissage de Pont-l'Abbé", "Textile et broderie", "1-9", "Pont-l'Abbé", "29120", "Partenaire", True),
    ("Broderies Bigoudènes", "Textile et broderie", "1-9", "Pont-l'Abbé", "29120", "", False),
    ("Chantier naval du Guilvinec", "Charpente marine", "10-49", "Le Guilvinec", "29730", "Mécène argent", True),
    ("Verrerie de Saint-Malo", "Verrerie", "1-9", "Saint-Malo", "35400", "", False),
    ("Ardoisières de Maël", "Couverture", "10-49", "Maël-Carhaix", "22340", "", False),
    ("Atelier Bois & Lin", "Ébénisterie", "1-9", "Rennes", "35000", "", True),
    ("Coutellerie de Cornouaille", "Coutellerie", "1-9", "Douarnenez", "29100", "", False),
    ("Menuiserie Rozenn", "Menuiserie", "1-9", "Lorient", "56100", "", False),
    ("Céramiques de l'Aven", "Céramique", "1-9", "Pont-Aven", "29930", "", True),
    ("Sellerie du Léon", "Sellerie et cuir", "1-9", "Landivisiau", "29400", "", False),
    ("Taille de pierre Armor", "Taille de pierre", "10-49", "Saint-Brieuc", "22000", "", False),
    ("Forge marine de Concarneau", "Forge et ferronnerie", "1-9", "Concarneau", "29900", "", False),
    ("Scierie des Monts d'Arrée", "Scierie", "50-249", "Huelgoat", "29690", "", False),
    ("Luthiers de Ploërmel", "Lutherie", "1-9", "Ploërmel", "56800", "", True),
]
ATTACHED_MEMBERS = 60
COLOURS = ["#0b5c7a", "#d9480f", "#2b8a3e", "#5f3dc4", "#c2255c", "#e67700", "#1864ab"]


def _siret(rng: random.Random) -> str:
    """13 random digits and the Luhn check digit."""
    from .validators import luhn_ok

    while True:
        body = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(12))
        for last in "0123456789":
            if luhn_ok(body + last):
                return body + last


def _logo(name: str, colour: str) -> bytes:
    from PIL import Image, ImageDraw

    initials = "".join(w[0] for w in name.replace("'", " ").split() if w[0].isupper())[:2] or name[:1]
    image = Image.new("RGB", (160, 160), colour)
    draw = ImageDraw.Draw(image)
    draw.ellipse((12, 12, 148, 148), outline="white", width=6)
    try:
        draw.text((80, 80), initials, fill="white", anchor="mm", font_size=56)
    except TypeError:  # older Pillow without font_size
        draw.text((60, 70), initials, fill="white")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def populate(faker: Any, now: datetime) -> str:
    from django.core.files.base import ContentFile
    from django.utils.text import slugify

    from tribu.accounts.models import Role
    from tribu.core.demo import demo_users

    from .models import Company, CompanyMember, PartnerLevel

    rng = random.Random(SEED)
    created = attached = 0
    with transaction.atomic():
        levels = {}
        for name_fr, name_en, position in LEVELS:
            levels[name_fr], _ = PartnerLevel.objects.get_or_create(
                name_fr=name_fr, defaults={"name_en": name_en, "position": position}
            )
        existing = {c.slug: c for c in Company.objects.filter(slug__in=[slugify(row[0]) for row in COMPANIES])}
        companies = []
        for index, (name, sector, size, city, postcode, level, public) in enumerate(COMPANIES):
            siret = _siret(rng)  # drawn for every row, so the numbers do not depend on what exists
            slug = slugify(name)
            company = existing.get(slug)
            if company is None:
                street = faker.street_address()
                company = Company(
                    name=name, slug=slug, sector=sector, size=size, city=city, postcode=postcode, country="France",
                    address=street, siret=siret if not Company.objects.filter(siret=siret).exists() else "",
                    website=f"https://www.{slug}.example", partner_level=levels.get(level),
                    page_visibility="public" if public else "members",
                    description=(
                        f"**{name}** : {sector.lower()} à {city} depuis {1950 + (index * 7) % 70}.\n\n"
                        f"{faker.paragraph(nb_sentences=3)}\n\n- Savoir-faire transmis en atelier\n"
                        "- Chantiers en Bretagne et au-delà"
                    ),
                )
                company.logo.save(f"{slug}.png", ContentFile(_logo(name, COLOURS[index % len(COLOURS)])), save=False)
                company.save()
                created += 1
            companies.append(company)

        occupied = set(CompanyMember.objects.filter(company__in=companies).values_list("company_id", flat=True))
        empty = [c for c in companies if c.pk not in occupied]
        if empty:
            free = list(
                demo_users()
                .filter(role=Role.MEMBER, is_active=True, company_attachment__isnull=True)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            rng.shuffle(free)
            share = max(1, ATTACHED_MEMBERS // len(companies))
            rows = []
            for index, company in enumerate(empty):
                count = share + (1 if index % 3 == 0 else 0)
                people, free = free[:count], free[count:]
                rows += [CompanyMember(company=company, user_id=pk, is_contact=(n == 0)) for n, pk in enumerate(people)]
            CompanyMember.objects.bulk_create(rows, batch_size=500)
            attached = len(rows)
            if rows:
                from tribu.directory.index import refresh_on_commit

                refresh_on_commit([r.user_id for r in rows])
    return f"{created} companies, {attached} members attached"
