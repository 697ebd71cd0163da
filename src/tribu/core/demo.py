"""Demo data for the core app: a French community, ~200 members with verified emails, their joins.

``tribu demo`` runs one ``populate(faker, now)`` per app, in ``INSTALLED_APPS`` order; this module is
the core step, so it runs first and the members it creates are there for the apps that follow
(groups, events, feed…): they find them with :func:`demo_users`.

Every step is idempotent: it keys its rows on something stable (here, the email address) and
creates only what is missing, so running the command twice creates nothing new.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

DEMO_DOMAIN = "demo.tribu.local"
DEMO_PASSWORD = "demo-tribu-2026"  # noqa: S105 (public, documented demo password)
DEMO_SEED = 2026

# (role, how many, the first one's well-known login; the others get "prenom.nom@" addresses)
ROLE_PLAN: list[tuple[str, int, str]] = [
    ("admin", 1, "admin"),
    ("staff", 2, "equipe"),
    ("animator", 6, "animateur"),
    ("member", 185, "membre"),
    ("guest", 6, "invite"),
]
DEMO_LOGINS = {role: f"{login}@{DEMO_DOMAIN}" for role, _count, login in ROLE_PLAN}

COMMUNITY = {
    "name": "Réseau des Artisans de Bretagne",
    "tagline": "Entraide, savoir-faire et projets communs entre artisans bretons.",
    "primary_colour": "#0b5c7a",
    "secondary_colour": "#d9480f",
    "default_language": "fr",
    "time_zone": "Europe/Paris",
    "contact_email": f"contact@{DEMO_DOMAIN}",
    "charter": """\
# Charte de la communauté

Le **Réseau des Artisans de Bretagne** rassemble des artisans, des apprentis et leurs partenaires
autour d'une idée simple : on avance mieux ensemble.

## Nos engagements

1. **Bienveillance** : on s'adresse aux autres membres comme on aimerait qu'on s'adresse à soi.
2. **Entraide** : on partage ses contacts, ses astuces et ses retours d'expérience sans contrepartie.
3. **Confidentialité** : ce qui est partagé dans un groupe privé reste dans ce groupe.
4. **Pas de démarchage** : les annonces commerciales sont réservées à l'espace « Petites annonces ».
5. **Respect du droit** : pas de propos injurieux, discriminatoires ou diffamatoires.

## Modération

Les animateurs et l'équipe peuvent masquer un contenu contraire à la charte. En cas de manquements
répétés, l'accès d'un membre peut être suspendu après un échange avec l'équipe.

*Dernière mise à jour : janvier 2026.*
""",
    "privacy_policy": """\
# Politique de confidentialité

Le Réseau des Artisans de Bretagne (association loi 1901) traite vos données personnelles pour
gérer votre adhésion et animer la communauté.

## Données collectées

- votre nom, votre adresse e-mail et les informations de votre profil ;
- vos contributions (publications, commentaires, inscriptions aux événements) ;
- des journaux techniques conservés 12 mois.

## Vos droits

Conformément au RGPD, vous pouvez consulter, exporter, corriger ou effacer vos données depuis
les réglages de votre compte, ou en écrivant à contact@demo.tribu.local. Vous pouvez aussi
saisir la CNIL.

Les données sont hébergées dans l'Union européenne et ne sont jamais revendues.
""",
    "legal_notice": """\
# Mentions légales

**Éditeur** : Réseau des Artisans de Bretagne, association loi 1901,
12 rue des Tanneurs, 35000 Rennes.
Directrice de la publication : la présidente de l'association.

**Hébergement** : hébergeur situé dans l'Union européenne.

**Logiciel** : [Tribu](https://example.org/tribu), logiciel libre sous licence AGPL-3.0.

*Ceci est un site de démonstration : les personnes et les données sont fictives.*
""",
}


@dataclass
class Summary:
    created_users: int = 0
    created_activities: int = 0

    def __str__(self) -> str:
        return f"{self.created_users} members and {self.created_activities} activities created"


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch in ".-")


def planned_people(faker: Any) -> list[dict[str, str]]:
    """The demo members, always the same for the same seed: role, names and email."""
    people: list[dict[str, str]] = []
    taken: set[str] = set()
    for role, count, login in ROLE_PLAN:
        for index in range(count):
            first, last = faker.first_name(), faker.last_name()
            if index == 0:
                local = login
            else:
                base = f"{_ascii(first)}.{_ascii(last)}".strip(".") or role
                local, n = base, 1
                while local in taken:
                    n += 1
                    local = f"{base}{n}"
            taken.add(local)
            people.append(
                {"role": role, "first_name": first, "last_name": last, "email": f"{local}@{DEMO_DOMAIN}"}
            )
    return people


def demo_users() -> Any:
    """The demo members (a queryset), for the demo steps of other apps."""
    from tribu.accounts.models import User

    return User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}")


def set_up_community() -> None:
    from .community import forget_community
    from .models import Community

    Community.objects.update_or_create(pk=1, defaults=COMMUNITY)
    forget_community()


def populate(faker: Any, now: datetime, *, password: str = DEMO_PASSWORD) -> Summary:
    """Create the community settings, the members and their join activities (only what is missing)."""
    from allauth.account.models import EmailAddress
    from django.contrib.contenttypes.models import ContentType

    from tribu.accounts.models import User

    from .models import Activity

    summary = Summary()
    rng = random.Random(DEMO_SEED)
    people = planned_people(faker)
    # Join dates are drawn for everyone (so they do not depend on what already exists), oldest first
    # for the team: the admin founded the community about 14 months ago.
    ages = sorted((rng.uniform(1, 420) for _ in people), reverse=True)
    team_first = sorted(range(len(people)), key=lambda i: people[i]["role"] not in {"admin", "staff"})
    joined_at = {people[i]["email"]: now - timedelta(days=ages[rank]) for rank, i in enumerate(team_first)}
    last_seen = {p["email"]: now - timedelta(hours=rng.uniform(1, 24 * 30)) for p in people}

    with transaction.atomic():
        set_up_community()
        existing = set(
            User.objects.filter(email__in=[p["email"] for p in people]).values_list("email", flat=True)
        )
        missing = [p for p in people if p["email"] not in existing]
        if not missing:
            return summary
        # Hashing is slow on purpose; every demo member shares the password, so hash it once.
        hashed = make_password(password)
        users = [
            User(
                email=p["email"],
                password=hashed,
                first_name=p["first_name"],
                last_name=p["last_name"],
                display_name=f"{p['first_name']} {p['last_name']}",
                role=p["role"],
                is_staff=p["role"] in {"admin", "staff"},
                is_superuser=p["role"] == "admin",
                date_joined=joined_at[p["email"]],
                last_login=last_seen[p["email"]],
                charter_accepted_at=joined_at[p["email"]],
            )
            for p in missing
        ]
        users = User.objects.bulk_create(users, batch_size=500)
        if any(u.pk is None for u in users):  # databases that do not return ids
            users = list(User.objects.filter(email__in=[p["email"] for p in missing]))
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, primary=True, verified=True) for u in users], batch_size=500
        )

        user_type = ContentType.objects.get_for_model(User)
        admin = (
            next((u for u in users if u.role == "admin"), None)
            or User.objects.filter(email=DEMO_LOGINS["admin"]).first()
        )
        activities: list[Activity] = []
        for user in users:
            when = user.date_joined
            common = {"target_type": user_type, "target_id": str(user.pk)}
            activities.append(Activity(actor=user, verb="member.joined", **common))
            activities.append(Activity(actor=user, verb="charter.accepted", **common))
            times = [when, when + timedelta(minutes=1)]
            if user.role in {"staff", "animator"} and admin is not None:
                activities.append(
                    Activity(
                        actor=admin,
                        verb="member.role_changed",
                        audit=True,
                        data={"old": "member", "new": user.role},
                        **common,
                    )
                )
                times.append(when + timedelta(days=rng.uniform(1, 20)))
            for activity, at in zip(activities[-len(times) :], times, strict=True):
                activity._demo_at = at  # type: ignore[attr-defined]
        created = Activity.objects.bulk_create(activities, batch_size=500)
        # created_at is auto_now_add: put the history back in the past once the rows exist.
        for activity in created:
            activity.created_at = min(activity._demo_at, now)  # type: ignore[attr-defined]
        if all(a.pk is not None for a in created):
            Activity.objects.bulk_update(created, ["created_at"], batch_size=500)

    summary.created_users = len(users)
    summary.created_activities = len(created)
    return summary
