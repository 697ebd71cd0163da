"""Demo groups: a few types (club, commission, local chapter, interest group), a tree of local
chapters, groups of every visibility (public, moderated with a question, private, reserved to
Premium), members with owners and animators, an automatic rule (region = Bretagne), a pending join
request and a few posts. Idempotent: groups are keyed on their slug and only what is missing is made."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count

SEED = 2026
TYPES = [
    # name_fr, name_en, icon, colour
    ("Club", "Club", "star", "#1f5fbf"),
    ("Commission", "Committee", "gavel", "#8a3d00"),
    ("Antenne locale", "Local chapter", "pin", "#17663a"),
    ("Groupe d'intérêt", "Interest group", "lightbulb", "#6b2fa3"),
]
GROUPS = [
    # slug, name, type, parent slug, visibility, options
    ("reseau-des-antennes", "Réseau des antennes", "Antenne locale", None, "public",
     {"summary": "Toutes les antennes locales de la communauté.", "open_to_guests": True}),
    ("antenne-bretagne", "Antenne Bretagne", "Antenne locale", "reseau-des-antennes", "public",
     {"summary": "Les membres de Bretagne se retrouvent ici.", "open_to_guests": True, "rule": ("region", "Bretagne")}),
    ("antenne-rennes", "Antenne Rennes", "Antenne locale", "antenne-bretagne", "moderated",
     {"summary": "Afterworks et visites à Rennes.", "questions": ["Dans quel quartier travaillez-vous ?"]}),
    ("antenne-occitanie", "Antenne Occitanie", "Antenne locale", "reseau-des-antennes", "public",
     {"summary": "Toulouse, Montpellier et alentours."}),
    ("club-entrepreneurs", "Club des entrepreneurs", "Club", None, "public",
     {"summary": "Partager ses réussites et ses galères d'entrepreneur·e.",
      "welcome": "Bienvenue {member} ! Dites-nous en deux lignes ce que fait votre entreprise."}),
    ("commission-numerique", "Commission numérique", "Commission", None, "moderated",
     {"summary": "Outils, données et sobriété numérique.",
      "questions": ["Qu'aimeriez-vous apporter à la commission ?"]}),
    ("commission-numerique-bureau", "Bureau de la commission numérique", "Commission", "commission-numerique",
     "private", {"summary": "Préparation des réunions de la commission."}),
    ("comite-de-pilotage", "Comité de pilotage", "Commission", None, "private",
     {"summary": "Gouvernance de la communauté."}),
    ("cercle-premium", "Cercle Premium", "Groupe d'intérêt", None, "public",
     {"summary": "Rencontres réservées aux membres Premium.", "tiers": ["premium"]}),
]
POSTS = [
    "Prochaine rencontre jeudi à 18 h 30 : qui vient ?",
    "Je partage le compte rendu de la dernière réunion, vos remarques sont les bienvenues.",
    "Quelqu'un a-t-il un bon contact pour un local de réunion en centre-ville ?",
]


def populate(faker: Any, now: datetime) -> str:
    from tribu.core.demo import demo_users
    from tribu.feed.actions import _save
    from tribu.memberships.models import Tier

    from .actions import _place
    from .models import Group, GroupMembership, GroupType, JoinRequest, MembershipRule

    rng = random.Random(SEED)
    users = list(demo_users().order_by("pk"))
    if not users:
        return "no demo members: run the core step first"
    animators = [u for u in users if u.role == "animator"] or users[:3]
    members = [u for u in users if u.role == "member"]
    guests = [u for u in users if u.role == "guest"]
    created = 0
    with transaction.atomic():
        types = {}
        for name_fr, name_en, icon, colour in TYPES:
            types[name_fr], _new = GroupType.objects.get_or_create(
                name_fr=name_fr, defaults={"name_en": name_en, "icon": icon, "colour": colour})
        by_slug = {g.slug: g for g in Group.objects.filter(slug__in=[row[0] for row in GROUPS])}
        for index, (slug, name, type_name, parent_slug, visibility, options) in enumerate(GROUPS):
            if slug in by_slug:
                continue
            parent = by_slug.get(parent_slug) if parent_slug else None
            group = Group.objects.create(
                slug=slug, name=name, type=types[type_name], parent=parent, visibility=visibility,
                summary=options.get("summary", ""), open_to_guests=options.get("open_to_guests", False),
                purpose=f"{options.get('summary', '')}\n\nLe groupe se réunit une fois par mois.",
                rules="Bienveillance, confidentialité des échanges, pas de démarchage commercial.",
                welcome_message=options.get("welcome", ""), join_questions=options.get("questions", []),
            )
            _place(group, parent)
            group.save()
            if options.get("tiers"):
                group.required_tiers.set(Tier.objects.filter(slug__in=options["tiers"]))
            if options.get("rule"):
                kind, value = options["rule"]
                MembershipRule.objects.create(group=group, kind=kind, value=value)
            by_slug[slug] = group
            created += 1
            owner = animators[index % len(animators)]
            rows = [GroupMembership(group=group, user=owner, role="owner")]
            helper = animators[(index + 1) % len(animators)]
            if helper.pk != owner.pk:
                rows.append(GroupMembership(group=group, user=helper, role="animator"))
            size = {"public": 40, "moderated": 15, "private": 6}[visibility]
            pool = members + (guests if options.get("open_to_guests") else [])
            taken = {r.user_id for r in rows}
            for user in rng.sample(pool, min(size, len(pool))):
                if user.pk not in taken:
                    rows.append(GroupMembership(group=group, user=user, role="member"))
                    taken.add(user.pk)
            GroupMembership.objects.bulk_create(rows)
            for text in POSTS[: 1 + index % 3]:
                post = _save(rng.choice(rows).user, group, text, "discussion")
                post.created_at = now
            if visibility == "moderated":
                outsider = next((u for u in members if u.pk not in taken), None)
                if outsider is not None:
                    JoinRequest.objects.create(group=group, user=outsider, answers=[
                        {"question": q, "answer": "Je voudrais partager mon expérience."}
                        for q in group.join_questions])
        for group in Group.objects.filter(slug__in=by_slug).annotate(n=Count("memberships")):
            Group.objects.filter(pk=group.pk).update(member_count=group.n)
    from .queries import forget_restricted

    transaction.on_commit(forget_restricted)
    return f"{created} groups"
