"""Companies test data: a member company with a contact and a colleague, a second company with its
own contact, partner levels, and helpers for seat-bearing memberships."""

from __future__ import annotations

import itertools

import pytest

from conftest import make_user

_seq = itertools.count(1)


def make_company(name: str, **values):
    from django.utils.text import slugify

    from tribu.companies.models import Company

    return Company.objects.create(name=name, slug=slugify(name), **values)


def attach(user, company, *, contact: bool = False):
    from tribu.companies.models import CompanyMember

    return CompanyMember.objects.create(user=user, company=company, is_contact=contact)


def member(name: str, *, role: str = "member", email: str = ""):
    n = next(_seq)
    return make_user(email or f"member{n}@example.org", role, name)


def give_seats(company, seats: int, *, status: str = "active", ends_on=None):
    from tribu.memberships.models import Membership, Tier

    tier, _ = Tier.objects.get_or_create(
        slug=f"entreprise-{seats}", defaults={"name_fr": "Entreprise", "name_en": "Business", "seats": seats}
    )
    return Membership.objects.create(company=company, tier=tier, status=status, ends_on=ends_on)


@pytest.fixture
def forge(db):
    """La Forge du Léon: a members-only page."""
    return make_company(
        "La Forge du Léon", sector="Forge", city="Morlaix", size="1-9", siret="73282932000074",
        description="Ferronnerie **d'art** depuis 1952.", page_visibility="members",
    )


@pytest.fixture
def atelier(db):
    """Atelier Faïence de Quimper: a public page."""
    return make_company("Atelier Faïence", sector="Céramique", city="Quimper", size="10-49", page_visibility="public")


@pytest.fixture
def carla(forge):
    """Carla is the contact of La Forge du Léon."""
    user = make_user("carla@example.org", "member", "Carla Contact")
    attach(user, forge, contact=True)
    return user


@pytest.fixture
def cole(forge):
    """Cole is Carla's colleague, attached to La Forge du Léon."""
    user = make_user("cole@example.org", "member", "Cole Collègue")
    attach(user, forge)
    return user


@pytest.fixture
def olga(atelier):
    """Olga is the contact of another company (Atelier Faïence)."""
    user = make_user("olga@example.org", "member", "Olga Autre")
    attach(user, atelier, contact=True)
    return user


@pytest.fixture
def people(db, alice, bob, mia, gina, carla, cole, olga):
    """Every kind of viewer, by name; ``None`` is an anonymous visitor."""
    return {
        "anonymous": None, "guest": gina, "member": mia, "colleague": cole, "contact": carla,
        "other_contact": olga, "staff": bob, "admin": alice,
    }
