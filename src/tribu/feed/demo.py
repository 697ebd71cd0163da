"""Demo conversations: an announcement, discussions, questions (one solved, one still waiting for an
answer), an article and a link, in the community feed and in public groups, with comments, replies,
reactions, #tags and mentions, so the home feed, the unanswered view and search have something real
to show. Idempotent: posts are keyed on their title; only what is missing is made."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from django.db import transaction

SEED = 2026
POSTS = [
    # title, kind, group slug (None: community), author role, body, comments [(body, [replies])], options
    ("Assemblée générale le 12 décembre", "announcement", None, "admin",
     "L'assemblée générale annuelle aura lieu le **12 décembre** à Rennes. Ordre du jour, procurations et "
     "inscriptions dans l'agenda. #vie-associative",
     [("Merci pour l'info, je serai là !", []), ("Y aura-t-il une visio pour les adhérents éloignés ?",
       ["Oui, le lien sera envoyé la veille aux inscrits."])], {}),
    ("Quel logiciel de devis utilisez-vous ?", "question", "club-entrepreneurs", "member",
     "Je cherche un logiciel de devis et factures simple, conforme à la facturation électronique 2026. "
     "Des retours d'expérience ? #outils #facturation",
     [("J'utilise un tableur depuis des années, mais je vais devoir changer avec la réforme.", []),
      ("Un logiciel libre comme Dolibarr fait très bien l'affaire, et il est prêt pour la facture "
       "électronique.", ["Merci, je regarde ça !", "Pareil, je confirme, installé chez moi en une heure."])],
     {"accept": 1}),
    ("Comment trouver un apprenti en ébénisterie ?", "question", "club-entrepreneurs", "member",
     "Je voudrais prendre un·e apprenti·e à la rentrée prochaine. Par où commencer ? #apprentissage", [], {}),
    ("Retour sur le salon des métiers d'art", "discussion", "antenne-bretagne", "animator",
     "Le salon de Quimper a attiré plus de 3 000 visiteurs. Qu'avez-vous pensé de l'organisation ? "
     "#salon #évènement",
     [("Très bonne ambiance, mais les stands étaient un peu serrés.", ["D'accord, on le remontera aux "
       "organisateurs."]), ("J'ai vendu toute ma production de bols !", [])], {}),
    ("Sobriété numérique : nos cinq gestes", "article", "club-entrepreneurs", "animator",
     "## Pourquoi\n\nLe numérique pèse sur nos factures et sur la planète.\n\n## Les gestes\n\n"
     "1. Garder son ordinateur plus longtemps\n2. Trier ses e-mails\n3. Éteindre la box la nuit\n"
     "4. Préférer le wifi à la 4G\n5. Alléger les photos de son site\n\n#numérique",
     [("Le point 5 a divisé par deux le temps de chargement de mon site.", [])], {}),
    ("Le guide de la Chambre de métiers", "link", None, "staff",
     "Un guide utile pour les démarches d'installation.", [], {"link": "https://www.artisanat.fr"}),
]


def populate(faker: Any, now: datetime) -> str:
    from tribu.core.demo import demo_users
    from tribu.groups.models import Group, GroupMembership

    from . import actions
    from .discussion import actions as discussion
    from .models import Emoji, Post

    rng = random.Random(SEED)
    users = list(demo_users().filter(is_active=True).order_by("pk"))
    by_role: dict[str, list[Any]] = {}
    for user in users:
        by_role.setdefault(user.role, []).append(user)
    if not by_role.get("admin"):
        return "no demo members: run the core step first"
    groups = {g.slug: g for g in Group.objects.filter(slug__in={p[2] for p in POSTS if p[2]})}
    members_of: dict[int, list[Any]] = {}
    for gm in GroupMembership.objects.filter(group__in=groups.values()).select_related("user"):
        members_of.setdefault(gm.group_id, []).append(gm.user)
    existing = set(Post.objects.filter(title__in=[p[0] for p in POSTS]).values_list("title", flat=True))
    made = 0
    for title, kind, group_slug, role, body, comments, options in POSTS:
        group = groups.get(group_slug) if group_slug else None
        if title in existing or (group_slug and group is None):
            continue
        people = members_of.get(group.pk, []) if group else users
        authors = [u for u in people if u.role == role] or by_role.get(role, [])
        if group and role == "animator":
            authors = [u for u in people if u.role in {"animator", "admin", "staff"}] or authors
        if not authors or len(people) < 4:
            continue
        author = authors[0]
        with transaction.atomic():
            post = actions.create_post(author, group, body, kind=kind, title=title, link_url=options.get("link", ""))
            others = [u for u in people if u.pk != author.pk and u.role != "guest"]
            tops = []
            for text, replies in comments:
                top = discussion.create_comment(rng.choice(others), post, text)
                tops.append(top)
                for reply in replies:
                    discussion.create_comment(rng.choice([*others, author]), post, reply, parent=top)
            for reader in rng.sample(others, min(len(others), rng.randint(2, 6))):
                discussion.add_reaction(reader, post, rng.choice([Emoji.LIKE, Emoji.LIKE, Emoji.HEART, Emoji.CLAP]))
            if "accept" in options and tops:
                discussion.accept_answer(author, post, tops[options["accept"]])
        made += 1
    _welcome_blocks(by_role["admin"][0])
    return f"{made} conversations"


def _welcome_blocks(admin: Any) -> None:
    """Two home-page blocks: one for everyone, one only for members who joined in the last 30 days."""
    from . import actions
    from .models import Audience, WelcomeBlock

    if WelcomeBlock.objects.exists():
        return
    actions.save_welcome_block(
        admin, None, title="Bienvenue dans le réseau", audience=Audience.EVERYONE, position=0,
        body="Posez vos questions dans le [fil](/feed/), rejoignez les [groupes](/groups/) de votre métier "
             "et retrouvez les prochains [événements](/events/).")
    actions.save_welcome_block(
        admin, None, title="Vos premiers pas", audience=Audience.NEW_MEMBERS, new_member_days=30, position=1,
        body="Complétez votre profil, présentez-vous dans le groupe d'accueil et répondez à une question : "
             "c'est ainsi que l'on se fait connaître ici.")
