"""The demo step: Breton craft companies with valid SIRET numbers, partners at three levels, about
sixty demo members attached with one contact per company; running it twice creates nothing new."""

from __future__ import annotations

import pytest
from django.utils import timezone
from faker import Faker

from tribu.companies import demo
from tribu.companies.models import Company, CompanyMember, PartnerLevel
from tribu.companies.validators import siret_is_valid
from tribu.core import demo as core_demo


@pytest.mark.django_db
def test_the_demo_creates_companies_partners_and_attached_members_once(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    now = timezone.now()
    core_demo.populate(Faker("fr_FR"), now)
    summary = demo.populate(Faker("fr_FR"), now)
    assert summary.startswith("25 companies")
    companies = list(Company.objects.all())
    assert len(companies) == 25
    assert all(siret_is_valid(c.siret) for c in companies)
    assert all(c.logo for c in companies)
    assert {lv.name_fr for lv in PartnerLevel.objects.all()} == {"Partenaire", "Mécène or", "Mécène argent"}
    assert 5 <= Company.objects.filter(partner_level__isnull=False).count() <= 10
    attached = CompanyMember.objects.all()
    assert 50 <= attached.count() <= 70
    assert all(m.user.email.endswith("@demo.tribu.local") and m.user.role == "member" for m in attached)
    for company in companies:
        assert CompanyMember.objects.filter(company=company, is_contact=True).count() == 1

    assert demo.populate(Faker("fr_FR"), now) == "0 companies, 0 members attached"
    assert Company.objects.count() == 25 and CompanyMember.objects.count() == attached.count()
