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


def speak_english() -> None:
    """Pages render in the community's language (French by default): most tests read them in English."""
    from tribu.core.community import forget_community, get_community

    community = get_community()
    community.default_language = "en"
    community.save()
    forget_community()
