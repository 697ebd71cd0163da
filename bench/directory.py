# ruff: noqa: SIM905 - the word lists read better as sentences
"""Members directory search on PostgreSQL with many members: Tribu's code path vs the bare SQL.

    .venv/bin/python bench/directory.py [--members 100000] [--runs 200] [--keep] [--no-save]

1. Creates a dedicated database (``tribu_bench_directory`` on ``--server``, dropped at the end
   unless ``--keep``), runs the migrations, and seeds ``--members`` members fast with bulk inserts:
   users, profiles (job, organisation, city/region/country, some fields restricted to the team,
   some members hidden), skills and interests, companies, memberships, a filterable custom field.
2. Builds the directory index with ``tribu.directory.index.rebuild()`` (the real code, timed).
3. For a few realistic searches (a name fragment, a skill, a region filter sorted by recent
   activity, and the unfiltered first page), measures over ``--runs`` runs each, as an ordinary
   member (not the team):
   - ``search``: what the page's view calls — ``viewer_for``, ``parse_filters``, ``search``,
     ``page_of`` (count + page of 24) and the cards;
   - ``bare``: the same two SQL statements (count, page) written by hand and run through psycopg;
   - ``facets``: the facet counts of the same result set, computed afresh (cache bypassed);
   - ``page``: the whole page through Django's test client (session, middleware, template), with
     facet counts computed afresh on every request (``page_cold``) and served from the cache
     (``page_warm``, the usual case between two changes to the index).
4. Writes ``bench/results/<date>-directory.json`` and appends a line to ``bench/results/directory.md``.

Targets: ``search`` p95 <= 50 ms and <= 2x the bare SQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from _common import admin_sql, timed

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DB_NAME = "tribu_bench_directory"
TARGET_P95_MS = 50.0
TARGET_RATIO = 2.0

FIRST = ("Léa Chloé Zoé Inès Jade Louise Emma Alice Manon Camille Élodie Hélène Sophie Martine Nathalie Anaïs "
         "Gaëlle Noémie Agathe Capucine Lucas Hugo Louis Gabriel Arthur Jules Léo Raphaël Adam Noé Mathis Théo "
         "Étienne Benoît Jérôme François Grégoire Maël Loïc Yannick Martin Marc Pierre Paul Sébastien").split()
LAST = ("Martin Bernard Thomas Petit Robert Richard Durand Dubois Moreau Laurent Simon Michel Lefèvre Leroy Roux "
        "David Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Lefebvre Faure "
        "André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier Garcia Perrin Robin Clément "
        "Morin Nicolas Henry Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël Meyer "
        "Dufour Meunier Brun Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier Arnaud Martínez Gérard "
        "Roche Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre Aubert Lemoine Renaud Dumas Lacroix "
        "Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc Payet Rolland Leclercq Guillaume Lecomte Lopez Jean "
        "Dupuy Guillot Hubert Berger Carpentier Sánchez Dupuis Moulin Louis Deschamps Huet Vasseur Perez Boucher "
        "Fleury Royer Klein Jacquet Adam Paris Poirier Marty Aubry Guyot Carré Charles Renault Charpentier Ménard "
        "Maillard Baron Bertin Bailly Hervé Schneider Fernández Le Gall Collet Léger Bouvier Julien Prévost Millet "
        "Perrot Daniel Le Roux Cousin Germain Breton Besson Langlois Rémy Le Goff Pelletier Lévêque Perrier "
        "Leblanc Barré Lebrun Marchal Weber Mallet Hamon Boulanger Jacob Monnier Michaud Rodríguez Guichard "
        "Gillet Étienne Grondin Poulain Tessier Chevallier Collin Chauvin Da Silva Bouchet Gay Lemaître Bénard "
        "Maréchal Humbert Reynaud Antoine Hoarau Perret Barthélémy Cordier Pichon Lejeune Gilbert Lamy Delaunay "
        "Pasquier Carlier Laporte").split()
PLACES = {
    "Bretagne": ["Rennes", "Brest", "Quimper", "Lorient", "Vannes", "Saint-Malo"],
    "Normandie": ["Rouen", "Caen", "Le Havre", "Cherbourg"],
    "Île-de-France": ["Paris", "Versailles", "Montreuil", "Saint-Denis", "Nanterre"],
    "Auvergne-Rhône-Alpes": ["Lyon", "Grenoble", "Saint-Étienne", "Clermont-Ferrand", "Annecy"],
    "Occitanie": ["Toulouse", "Montpellier", "Nîmes", "Perpignan"],
    "Nouvelle-Aquitaine": ["Bordeaux", "Limoges", "Poitiers", "La Rochelle", "Pau"],
    "Pays de la Loire": ["Nantes", "Angers", "Le Mans", "Saint-Nazaire"],
    "Hauts-de-France": ["Lille", "Amiens", "Roubaix", "Dunkerque"],
    "Grand Est": ["Strasbourg", "Reims", "Metz", "Nancy", "Mulhouse"],
    "Provence-Alpes-Côte d'Azur": ["Marseille", "Nice", "Toulon", "Avignon", "Aix-en-Provence"],
    "Centre-Val de Loire": ["Orléans", "Tours", "Bourges", "Chartres"],
    "Bourgogne-Franche-Comté": ["Dijon", "Besançon", "Auxerre"],
    "Corse": ["Ajaccio", "Bastia"],
}
JOBS = ("Ébéniste Développeuse Développeur Chargée de communication Chef de projet Responsable RH Comptable "
        "Architecte Graphiste Consultant Juriste Ingénieure Designer Formatrice Commerciale Animatrice "
        "Journaliste Photographe Traductrice Data scientist Directrice générale Gérant Chercheuse Infirmier "
        "Menuisier Céramiste Pâtissier Urbaniste Paysagiste Éducatrice").split()
SKILLS = ("Python Django SQL JavaScript Marqueterie Menuiserie Comptabilité Droit social Photographie Vidéo "
          "Rédaction Traduction Gestion de projet Management Prise de parole Négociation Design Illustration "
          "Typographie Céramique Pâtisserie Jardinage Permaculture Énergie solaire Électricité Plomberie "
          "Statistiques Apprentissage automatique Cybersécurité Réseaux Linux Marketing Référencement Vente "
          "Recrutement Formation Facilitation Médiation Urbanisme Architecture Éco-conception Logistique").split()
INTERESTS = ("Voile Randonnée Jazz Cinéma Théâtre Lecture Échecs Cuisine Vin Vélo Course à pied Escalade "
             "Photographie Peinture Musique classique Rock Jeux de société Jardinage Bénévolat Événementiel "
             "Astronomie Histoire Voyages Danse Yoga Natation Football Rugby Tennis Ski").split()


def unique(words: list[str]) -> list[str]:
    """Distinct words of three letters or more (the lists above are split on spaces)."""
    return [w for w in dict.fromkeys(words) if len(w) > 2]


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# --- Database ----------------------------------------------------------------------------------


# --- Seeding -----------------------------------------------------------------------------------


def seed(members: int, rng: random.Random) -> dict[str, float]:
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone
    from django.utils.text import slugify

    from tribu.accounts.models import CustomField, CustomFieldValue, Profile, Tag, User
    from tribu.companies.models import Company, CompanyMember
    from tribu.memberships.models import Membership, Tier

    timings: dict[str, float] = {}
    started = time.monotonic()
    now = timezone.now()
    password = make_password("bench password")
    skill_names = unique(SKILLS) + [f"Spécialité {i}" for i in range(1, 261)]
    interest_names = unique(INTERESTS) + [f"Passion {i}" for i in range(1, 171)]
    skills = Tag.objects.bulk_create([Tag(kind="skill", name=n, slug=slugify(n)) for n in skill_names])
    interests = Tag.objects.bulk_create([Tag(kind="interest", name=n, slug=slugify(n)) for n in interest_names])
    tiers = Tier.objects.bulk_create([Tier(slug=s, name_fr=n, name_en=n, position=i)
                                      for i, (s, n) in enumerate([("individuel", "Individuel"), ("pro", "Pro"),
                                                                  ("bienfaiteur", "Bienfaiteur"),
                                                                  ("etudiant", "Étudiant")])])
    companies = Company.objects.bulk_create(
        [Company(name=f"{rng.choice(LAST)} {rng.choice(['SARL', 'SAS', 'Conseil', 'Atelier', 'Studio'])} {i}",
                 slug=f"societe-{i}") for i in range(max(10, members // 50))]
    )
    sector = CustomField.objects.create(
        key="secteur", kind="single_choice", label_fr="Secteur", label_en="Sector", directory_filter=True,
        choices=[{"value": v, "label_fr": v.title(), "label_en": v.title()}
                 for v in ("industrie", "services", "public", "associatif", "artisanat")],
    )
    timings["reference_data_s"] = round(time.monotonic() - started, 2)

    # Zipf-like popularity, so some skills, places and interests are common and most are rare.
    skill_weights = [1 / (i + 1) for i in range(len(skills))]
    interest_weights = [1 / (i + 1) for i in range(len(interests))]
    regions = list(PLACES)
    region_weights = [1 / (i + 1) ** 0.5 for i in range(len(regions))]
    batch = 5000
    t0 = time.monotonic()
    users_done = 0
    while users_done < members:
        count = min(batch, members - users_done)
        users = User.objects.bulk_create(
            [
                User(
                    email=f"membre{users_done + i}@bench.example",
                    password=password,
                    first_name=rng.choice(FIRST),
                    last_name=rng.choice(LAST),
                    role="member",
                    date_joined=now - dt.timedelta(days=rng.randint(0, 3650), seconds=rng.randint(0, 86400)),
                )
                for i in range(count)
            ]
        )
        profiles, skill_rows, interest_rows, attachments, memberships, values = [], [], [], [], [], []
        for user in users:
            region = rng.choices(regions, region_weights)[0]
            restricted = rng.random() < 0.1
            profiles.append(
                Profile(
                    user=user,
                    job_title=rng.choice(JOBS),
                    organisation=f"{rng.choice(LAST)} & associés" if rng.random() < 0.5 else "",
                    city=rng.choice(PLACES[region]),
                    region=region,
                    country="France",
                    field_visibility={"job_title": "staff", "city": "staff"} if restricted else {},
                    hidden_from_directory=rng.random() < 0.03,
                    last_active_at=now - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 365)) if rng.random() < 0.8
                    else None,
                )
            )
            for tag in {t.pk for t in rng.choices(skills, skill_weights, k=rng.randint(0, 5))}:
                skill_rows.append(Profile.skills.through(profile_id=user.pk, tag_id=tag))
            for tag in {t.pk for t in rng.choices(interests, interest_weights, k=rng.randint(0, 4))}:
                interest_rows.append(Profile.interests.through(profile_id=user.pk, tag_id=tag))
            if rng.random() < 0.3:
                attachments.append(CompanyMember(user=user, company=rng.choice(companies)))
            if rng.random() < 0.7:
                memberships.append(Membership(user=user, tier=rng.choice(tiers), status="active"))
            if rng.random() < 0.5:
                values.append(CustomFieldValue(user=user, field=sector, value=rng.choice(sector.choices)["value"]))
        Profile.objects.bulk_create(profiles, batch_size=batch)
        Profile.skills.through.objects.bulk_create(skill_rows, batch_size=10000)
        Profile.interests.through.objects.bulk_create(interest_rows, batch_size=10000)
        CompanyMember.objects.bulk_create(attachments, batch_size=batch)
        Membership.objects.bulk_create(memberships, batch_size=batch)
        CustomFieldValue.objects.bulk_create(values, batch_size=batch)
        users_done += count
        if users_done % 20000 == 0 or users_done == members:
            log(f"seeded {users_done} members ({time.monotonic() - t0:.0f}s)")
    timings["members_s"] = round(time.monotonic() - t0, 2)

    from tribu.directory.index import rebuild

    t0 = time.monotonic()
    rebuild()
    timings["index_rebuild_s"] = round(time.monotonic() - t0, 2)
    t0 = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    timings["vacuum_analyze_s"] = round(time.monotonic() - t0, 2)
    timings["total_s"] = round(time.monotonic() - started, 2)
    return timings


# --- Scenarios ---------------------------------------------------------------------------------


COLUMNS = ("user_id, name, sort_name, job_title, organisation, city, region, country, photo, company_id, "
           "company_name, restricted, hidden, is_active, listed, date_joined, last_active_at, refreshed_at")


def scenarios() -> list[dict]:
    from tribu.accounts.models import Tag

    python = Tag.objects.get(kind="skill", slug="python").pk
    term = ("user_id IN (SELECT entry_id FROM directory_directoryterm WHERE kind = %s AND ref = 0 AND key = %s "
            "AND listed AND NOT staff_only)")
    # A search on one filter is counted on the terms alone, by Tribu as here.
    term_count = ("SELECT count(*) FROM directory_directoryterm WHERE kind = %s AND ref = 0 AND key = %s "
                  "AND listed AND NOT staff_only")
    return [
        {
            "name": "name fragment",
            "params": {"q": "mart"},
            "where": "listed AND search_members LIKE %s",
            "args": ["%mart%"],
            "order": "sort_name, user_id",
        },
        {
            "name": "skill",
            "params": {"skill": str(python)},
            "where": f"listed AND {term}",
            "args": ["skill", str(python)],
            "count_sql": term_count,
            "order": "sort_name, user_id",
        },
        {
            "name": "region + recently active",
            "params": {"region": "Bretagne", "sort": "active"},
            "where": f"listed AND {term}",
            "args": ["region", "Bretagne"],
            "count_sql": term_count,
            "order": "last_active_at DESC NULLS LAST, sort_name, user_id",
        },
        {
            "name": "first page, no filter",
            "params": {},
            "where": "listed",
            "args": [],
            "order": "sort_name, user_id",
        },
    ]


def measure(runs: int, server: str) -> dict:
    import psycopg
    from django.core.cache import cache
    from django.db import connection
    from django.http import QueryDict
    from django.test import Client

    from tribu.accounts.models import User
    from tribu.directory import queries
    from tribu.directory.index import bump_epoch

    viewer_user = (
        User.objects.filter(role="member", profile__hidden_from_directory=False, profile__skills__isnull=False)
        .order_by("pk").first()
    )
    client = Client()
    client.force_login(viewer_user)
    bare = psycopg.connect(f"{server}/{DB_NAME}", autocommit=True)
    results = []
    for scenario in scenarios():
        params = QueryDict(mutable=True)
        for key, value in scenario["params"].items():
            params[key] = value

        def through_tribu(params: QueryDict = params) -> int:
            viewer = queries.viewer_for(viewer_user)
            filters = queries.parse_filters(params, viewer)
            page = queries.page_of(queries.search(viewer, filters), 1, viewer=viewer, filters=filters)
            cards = [queries.card(viewer, e) for e in page.object_list]
            return page.paginator.count + len(cards)

        where, args, order = scenario["where"], scenario["args"], scenario["order"]
        count_sql = scenario.get("count_sql") or f"SELECT count(*) FROM directory_directoryentry WHERE {where}"  # noqa: S608

        def through_psycopg(where: str = where, args: list = args, order: str = order, count_sql: str = count_sql
                            ) -> int:
            with bare.cursor() as cursor:
                cursor.execute(count_sql, args)
                total = cursor.fetchone()[0]
                cursor.execute(
                    f"SELECT {COLUMNS} FROM directory_directoryentry WHERE {where} ORDER BY {order} LIMIT 24",  # noqa: S608
                    args,
                )
                return total + len(cursor.fetchall())

        def facets(params: QueryDict = params) -> None:
            viewer = queries.viewer_for(viewer_user)
            filters = queries.parse_filters(params, viewer)
            queries.facet_counts(viewer, queries.search(viewer, filters), filters)

        url = "/members/?" + urlencode(scenario["params"])

        def page_cold(url: str = url) -> None:
            bump_epoch()  # no cached facets nor suggestions
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        def page_warm(url: str = url) -> None:
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        cache.clear()
        client.force_login(viewer_user)
        assert through_tribu() == through_psycopg(), scenario["name"]
        executed: list[str] = []

        def count_query(execute, sql, params, many, context, executed: list[str] = executed):
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count_query):
            page_cold()
        row = {
            "name": scenario["name"],
            "params": scenario["params"],
            "results": queries.page_of(
                queries.search(queries.viewer_for(viewer_user),
                               queries.parse_filters(params, queries.viewer_for(viewer_user))), 1
            ).paginator.count,
            "search": timed(through_tribu, runs),
            "bare": timed(through_psycopg, runs),
            "facets_uncached": timed(facets, max(20, runs // 4)),
            "page_cold": timed(page_cold, max(20, runs // 4)),
            "page_warm": timed(page_warm, runs),
            "page_sql_queries": len(executed),
        }
        row["ratio_p50"] = round(row["search"]["p50_ms"] / row["bare"]["p50_ms"], 2)
        row["ratio_p95"] = round(row["search"]["p95_ms"] / row["bare"]["p95_ms"], 2)
        row["meets_targets"] = row["search"]["p95_ms"] <= TARGET_P95_MS and row["ratio_p95"] <= TARGET_RATIO
        log(
            f"{row['name']:<28} {row['results']:>6} results | search p50 {row['search']['p50_ms']} "
            f"p95 {row['search']['p95_ms']} ms | bare p50 {row['bare']['p50_ms']} p95 {row['bare']['p95_ms']} ms "
            f"| x{row['ratio_p95']} | facets p95 {row['facets_uncached']['p95_ms']} | page cold/warm p95 "
            f"{row['page_cold']['p95_ms']}/{row['page_warm']['p95_ms']} ms"
        )
        results.append(row)
    bare.close()
    return {"viewer": viewer_user.email, "scenarios": results}


# --- Main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200, help="measured runs per search")
    parser.add_argument("--server", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server address, without the database name")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--no-save", action="store_true", help="print the results without writing files")
    args = parser.parse_args()

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    data_dir = Path(tempfile.mkdtemp(prefix="tribu-bench-directory-"))
    for key in [k for k in os.environ if k.startswith(("TRIBU_", "DJANGO_")) or k in {"REDIS_URL", "DATABASE_URL"}]:
        del os.environ[key]
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "tribu.settings",
        "TRIBU_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"{args.server}/{DB_NAME}",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "testserver",
        "TRIBU_LOG_LEVEL": "WARNING",
    })
    sys.path.insert(0, str(ROOT / "src"))
    admin_sql(args.server, f"DROP DATABASE IF EXISTS {DB_NAME}")
    admin_sql(args.server, f"CREATE DATABASE {DB_NAME}")
    try:
        import django

        django.setup()
        from django.core.management import call_command

        t0 = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)  # DEBUG off: the manifest is needed
        log(f"migrated in {time.monotonic() - t0:.1f}s; seeding {args.members} members…")
        setup = seed(args.members, random.Random(42))
        log(f"seeded and indexed: {setup}")
        measured = measure(args.runs, args.server)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            admin_sql(args.server, f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)

    now = dt.datetime.now().astimezone()
    with __import__("psycopg").connect(f"{args.server}/postgres") as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0]
    result = {
        "name": "directory",
        "date": now.isoformat(timespec="seconds"),
        "git_commit": commit,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "postgresql": pg_version},
        "members": args.members,
        "runs": args.runs,
        "setup": setup,
        **measured,
        "target_p95_ms": TARGET_P95_MS,
        "target_ratio": TARGET_RATIO,
        "meets_targets": all(s["meets_targets"] for s in measured["scenarios"]),
    }
    print()
    print(f"{'search':<28}{'results':>8}{'p50':>8}{'p95':>8}{'bare p95':>10}{'ratio':>7}{'facets':>8}"
          f"{'page cold':>10}{'page warm':>10}")
    for s in measured["scenarios"]:
        print(f"{s['name']:<28}{s['results']:>8}{s['search']['p50_ms']:>8}{s['search']['p95_ms']:>8}"
              f"{s['bare']['p95_ms']:>10}{s['ratio_p95']:>7}{s['facets_uncached']['p95_ms']:>8}"
              f"{s['page_cold']['p95_ms']:>10}{s['page_warm']['p95_ms']:>10}")
    print(f"targets (search p95 <= {TARGET_P95_MS} ms and <= {TARGET_RATIO}x bare): "
          f"{'met' if result['meets_targets'] else 'MISSED'}; seeding + index {setup['total_s']}s")
    if args.no_save:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{now:%Y-%m-%d-%H%M}-directory.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    index = RESULTS / "directory.md"
    if not index.exists():
        index.write_text(
            "# Directory benchmark results\n\nOne line per run of `bench/directory.py` (newest last); p95 in ms "
            "of Tribu's search (count + page of 24 + cards) / the bare SQL, per search.\n\n"
            "| date | commit | members | name fragment | skill | region + active | first page | page cold/warm p95 "
            "(name) | seed + index s | file |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        )
    cells = " | ".join(f"{s['search']['p95_ms']} / {s['bare']['p95_ms']}" for s in measured["scenarios"])
    first = measured["scenarios"][0]
    with index.open("a") as fh:
        fh.write(f"| {now:%Y-%m-%d %H:%M} | {result['git_commit']} | {args.members} | {cells} | "
                 f"{first['page_cold']['p95_ms']} / {first['page_warm']['p95_ms']} | {setup['total_s']} | "
                 f"{path.name} |\n")
    log(f"wrote {path.relative_to(ROOT)} and appended to {index.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
