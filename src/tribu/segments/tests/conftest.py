"""Segments tests reuse the memberships factories (tiers, memberships, companies, attachments)."""

from tribu.memberships.tests.conftest import (  # noqa: F401
    attach,
    entreprise,
    french,
    make_company,
    make_membership,
    make_tier,
    membre,
    premium,
)
