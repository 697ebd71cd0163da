"""Demo library: community categories with subcategories, a category in a group, resources of every
kind (a PDF guide, an article, a video, a podcast, a link), one featured, one reserved to the Premium
tier (a teaser for the others) and a few in the entrepreneurs' club. Idempotent: categories are keyed
on their slug and resources on their title; only what is missing is made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

CATEGORIES = [
    # slug, name_fr, name_en, parent slug, group slug
    ("guides-pratiques", "Guides pratiques", "Practical guides", None, None),
    ("guides-juridique", "Juridique", "Legal", "guides-pratiques", None),
    ("guides-financement", "Financement", "Funding", "guides-pratiques", None),
    ("formations", "Formations", "Training", None, None),
    ("club-boite-a-outils", "Boîte à outils", "Toolbox", None, "club-entrepreneurs"),
]
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
RESOURCES = [
    # title, kind, category slug, group slug, options
    ("Guide de l'installation en micro-entreprise", "document", "guides-juridique", None,
     {"summary": "Les démarches pas à pas pour s'installer comme artisan.", "file": "guide-installation.pdf",
      "featured": True, "body": "Un guide complet :\n\n- le statut,\n- les assurances,\n- la comptabilité."}),
    ("Financer son atelier : les aides régionales", "article", "guides-financement", None,
     {"summary": "Panorama des aides de la Région et de la BPI.",
      "body": "## Les aides\n\nLa Région soutient l'investissement des artisans…\n\n## Les prêts d'honneur\n\n"
              "Sans garantie ni intérêts."}),
    ("Étude de marché 2026 des métiers d'art", "document", "guides-pratiques", None,
     {"summary": "Chiffres clés et tendances, réservés aux membres Premium.", "file": "etude-marche-2026.pdf",
      "tiers": ["premium"], "body": "Synthèse détaillée de l'étude."}),
    ("Atelier vidéo : photographier ses créations", "video", "formations", None,
     {"summary": "Vingt minutes pour de belles photos de produits.",
      "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ"}),
    ("Podcast : paroles d'artisans", "podcast", "formations", None,
     {"summary": "Des artisans racontent leur parcours.", "url": "https://example.org/podcast/paroles-d-artisans"}),
    ("Annuaire des chambres de métiers", "link", None, None,
     {"summary": "Trouver la chambre de métiers de son département.", "url": "https://www.artisanat.fr"}),
    ("Modèle de devis", "document", "club-boite-a-outils", "club-entrepreneurs",
     {"summary": "Un modèle de devis à adapter.", "file": "modele-devis.pdf", "featured": True}),
    ("Retour d'expérience : ma première embauche", "article", "club-boite-a-outils", "club-entrepreneurs",
     {"summary": "Ce que j'aurais aimé savoir avant.", "body": "Recruter son premier apprenti, **étape par étape**."}),
]


def populate(faker: Any, now: datetime) -> str:
    from tribu.core.demo import demo_users
    from tribu.groups.models import Group
    from tribu.memberships.models import Tier

    from . import actions
    from .models import Category, Resource

    admin = demo_users().filter(role="admin").order_by("pk").first()
    if admin is None:
        return "no demo admin: run the core step first"
    groups = {g.slug: g for g in Group.objects.filter(slug__in={r[3] for r in RESOURCES} | {c[4] for c in CATEGORIES})}
    made = 0
    with transaction.atomic():
        cats = {c.slug: c for c in Category.objects.filter(slug__in=[c[0] for c in CATEGORIES])}
        for position, (slug, name_fr, name_en, parent, group_slug) in enumerate(CATEGORIES):
            if slug in cats or (group_slug and group_slug not in groups):
                continue
            cats[slug] = Category.objects.create(slug=slug, name_fr=name_fr, name_en=name_en, position=position,
                                                 parent=cats.get(parent) if parent else None,
                                                 group=groups.get(group_slug) if group_slug else None)
        existing = set(Resource.objects.filter(title__in=[r[0] for r in RESOURCES]).values_list("title", flat=True))
        for title, kind, category, group_slug, options in RESOURCES:
            if title in existing or (group_slug and group_slug not in groups):
                continue
            file = ContentFile(PDF, name=options["file"]) if options.get("file") else None
            actions.create_resource(
                admin, group=groups.get(group_slug) if group_slug else None, kind=kind, title=title,
                summary=options.get("summary", ""), body=options.get("body", ""), url=options.get("url", ""),
                file=file, category=cats.get(category) if category else None,
                featured=options.get("featured", False),
                tiers=list(Tier.objects.filter(slug__in=options.get("tiers", []))),
            )
            made += 1
    return f"{made} library resources"
