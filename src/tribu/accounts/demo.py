"""Demo data: profiles for the demo members (artisans and makers in Brittany), their skills and
interests, three custom fields (asked at signup and usable as directory filters). Idempotent: only
members without a profile get one; fields and tags are matched by key and slug. Bulk writes only."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.text import slugify

SEED = 3129
JOBS = [
    ("Ébéniste", ["Ébénisterie", "Marqueterie", "Menuiserie"]),
    ("Céramiste", ["Céramique", "Tournage", "Émaillage"]),
    ("Tailleur·euse de pierre", ["Taille de pierre", "Sculpture"]),
    ("Luthier·ère", ["Lutherie", "Vernis au tampon"]),
    ("Verrier·ère", ["Soufflage de verre", "Vitrail"]),
    ("Forgeron·ne", ["Forge", "Coutellerie", "Ferronnerie"]),
    ("Tisserand·e", ["Tissage", "Teinture végétale"]),
    ("Relieur·euse", ["Reliure", "Dorure"]),
    ("Charpentier·ère", ["Charpente", "Menuiserie"]),
    ("Maroquinier·ère", ["Maroquinerie", "Sellerie"]),
    ("Vannier·ère", ["Vannerie"]),
    ("Tapissier·ère", ["Tapisserie d'ameublement", "Couture"]),
    ("Chargé·e de développement", ["Gestion de projet", "Communication"]),
    ("Formateur·rice", ["Pédagogie", "Animation d'ateliers"]),
]
INTERESTS = [
    "Patrimoine", "Éco-conception", "Transmission", "Salons et marchés", "Circuits courts", "Design",
    "Restauration de meubles", "Bois local", "Musique bretonne", "Voile", "Randonnée", "Photographie",
]
WORKSHOPS = ["Atelier", "Les ateliers", "Maison", "Fabrique", "Studio", "Compagnons"]
PLACES = [
    ("Brest", "29"), ("Quimper", "29"), ("Morlaix", "29"), ("Douarnenez", "29"), ("Concarneau", "29"),
    ("Rennes", "35"), ("Saint-Malo", "35"), ("Fougères", "35"), ("Vitré", "35"), ("Redon", "35"),
    ("Vannes", "56"), ("Lorient", "56"), ("Pontivy", "56"), ("Auray", "56"), ("Ploërmel", "56"),
    ("Saint-Brieuc", "22"), ("Lannion", "22"), ("Dinan", "22"), ("Guingamp", "22"), ("Paimpol", "22"),
]
DEPARTMENTS = [
    {"value": "22", "label_fr": "Côtes-d'Armor", "label_en": "Côtes-d'Armor"},
    {"value": "29", "label_fr": "Finistère", "label_en": "Finistère"},
    {"value": "35", "label_fr": "Ille-et-Vilaine", "label_en": "Ille-et-Vilaine"},
    {"value": "56", "label_fr": "Morbihan", "label_en": "Morbihan"},
]
FIELDS = [
    {
        "key": "departement", "kind": "single_choice", "label_fr": "Département", "label_en": "Department",
        "help_fr": "Où se trouve votre atelier.", "help_en": "Where your workshop is.", "choices": DEPARTMENTS,
        "on_signup": True, "directory_filter": True, "segmentable": True, "position": 1,
    },
    {
        "key": "annee_installation", "kind": "number", "label_fr": "Année d'installation",
        "label_en": "Year you set up", "on_signup": True, "directory_filter": True, "segmentable": True,
        "position": 2,
    },
    {
        "key": "ouvert_apprentis", "kind": "boolean", "label_fr": "Ouvert aux apprentis",
        "label_en": "Open to apprentices", "help_fr": "Vous pouvez accueillir un·e apprenti·e.",
        "help_en": "You can take on an apprentice.", "on_signup": True, "directory_filter": True,
        "segmentable": True, "position": 3,
    },
]
BIOS = [
    "Installé·e en **{city}** depuis {year}, je travaille surtout sur commande.\n\n"
    "J'aime transmettre : mon atelier accueille régulièrement des stagiaires.",
    "{job} à {city}. Je privilégie les matériaux locaux et les finitions naturelles.",
    "Après une première carrière dans l'industrie, je me suis reconverti·e en {year}.\n\n"
    "- pièces uniques\n- restauration\n- ateliers d'initiation",
]


def _fields() -> dict[str, Any]:
    from .models import CustomField, SignupField

    fields = {}
    for spec in FIELDS:
        field, _created = CustomField.objects.get_or_create(key=spec["key"], defaults=spec)
        fields[spec["key"]] = field
    # Optional on the demo's signup form: a demo member logging in is not sent to complete their profile.
    SignupField.objects.get_or_create(standard="job_title", defaults={"position": 1})
    SignupField.objects.get_or_create(standard="city", defaults={"position": 2})
    for position, key in enumerate(("departement", "annee_installation", "ouvert_apprentis"), start=3):
        SignupField.objects.get_or_create(custom_field=fields[key], defaults={"position": position})
    SignupField.objects.get_or_create(standard="skills", defaults={"position": 6})
    return fields


def _tags(kind: str, names: list[str]) -> dict[str, Any]:
    from .models import Tag

    wanted = {slugify(n): n for n in names}
    existing = {t.slug for t in Tag.objects.filter(kind=kind, slug__in=wanted)}
    Tag.objects.bulk_create([Tag(kind=kind, slug=s, name=n) for s, n in wanted.items() if s not in existing])
    return {t.name: t for t in Tag.objects.filter(kind=kind, slug__in=wanted)}


def populate(faker: Any, now: datetime) -> str:
    from tribu.core.demo import demo_users

    from .models import CustomFieldValue, Profile

    rng = random.Random(SEED)
    with transaction.atomic():
        fields = _fields()
        users = list(demo_users().filter(profile__isnull=True).order_by("pk"))
        if not users:
            return "profiles already there"
        skills = _tags("skill", sorted({s for _job, tags in JOBS for s in tags}))
        interests = _tags("interest", INTERESTS)
        profiles, skill_rows, interest_rows, values = [], [], [], []
        for user in users:
            job, job_skills = rng.choice(JOBS)
            city, department = rng.choice(PLACES)
            year = rng.randint(1992, now.year)
            surname = user.last_name or user.name.split()[-1]
            visibility = {}
            if rng.random() < 0.15:
                visibility["city"] = "staff"
            if rng.random() < 0.1:
                visibility["bio"] = "staff"
            profiles.append(Profile(
                user=user,
                job_title=job,
                organisation=f"{rng.choice(WORKSHOPS)} {surname}" if rng.random() < 0.8 else "",
                bio=rng.choice(BIOS).format(city=city, year=year, job=job) if rng.random() < 0.7 else "",
                city=city,
                region="Bretagne",
                country="France",
                languages=["fr", "br"] if rng.random() < 0.2 else (["fr", "en"] if rng.random() < 0.5 else ["fr"]),
                website=f"https://{slugify(surname)}-{slugify(job)[:12]}.example.org" if rng.random() < 0.4 else "",
                social_links={"instagram": f"https://instagram.com/{slugify(surname)}"} if rng.random() < 0.3 else {},
                field_visibility=visibility,
                hidden_from_directory=rng.random() < 0.04,
                last_active_at=user.last_login,
            ))
            for name in rng.sample(job_skills, k=rng.randint(1, len(job_skills))):
                skill_rows.append(Profile.skills.through(profile_id=user.pk, tag_id=skills[name].pk))
            for name in rng.sample(INTERESTS, k=rng.randint(0, 4)):
                interest_rows.append(Profile.interests.through(profile_id=user.pk, tag_id=interests[name].pk))
            values.append(CustomFieldValue(user=user, field=fields["departement"], value=department))
            if rng.random() < 0.85:
                values.append(CustomFieldValue(user=user, field=fields["annee_installation"], value=year))
            if rng.random() < 0.8:
                values.append(CustomFieldValue(user=user, field=fields["ouvert_apprentis"], value=rng.random() < 0.45))
        Profile.objects.bulk_create(profiles, batch_size=500)
        Profile.skills.through.objects.bulk_create(skill_rows, batch_size=1000, ignore_conflicts=True)
        Profile.interests.through.objects.bulk_create(interest_rows, batch_size=1000, ignore_conflicts=True)
        CustomFieldValue.objects.bulk_create(values, batch_size=1000, ignore_conflicts=True)
    return f"{len(profiles)} profiles, {len(values)} custom answers"
