"""Demo emailing state: most demo members agreed to the newsletter, some to event announcements, a few
opted out of campaigns; two addresses of former members (not demo logins) are suppressed, a hard bounce
and a complaint, so the team's list shows what it looks like; a French version of the invitation of
imported members. Idempotent: rows are only added where none exist yet."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from django.db import transaction

SEED = 2026


def populate(faker: Any, now: datetime) -> None:
    from tribu.core.demo import demo_users
    from tribu.privacy.actions import record_consent
    from tribu.privacy.models import Consent

    from .models import EmailSuppression, SuppressionReason, TemplateOverride, TopicPreference

    rng = random.Random(SEED)
    users = list(demo_users().order_by("pk"))
    with transaction.atomic():
        asked = set(Consent.objects.filter(user__in=users, kind__in=["newsletter", "event_announcements"])
                    .values_list("user_id", flat=True))
        for user in users:
            if user.pk not in asked:
                record_consent(user, "newsletter", rng.random() < 0.7)
                record_consent(user, "event_announcements", rng.random() < 0.5)
        for user in users[-3:]:
            TopicPreference.objects.get_or_create(user=user, topic="campaigns", defaults={"subscribed": False})
        if not EmailSuppression.objects.exists():
            # Former members' addresses (not demo logins, so every demo account still gets its emails).
            EmailSuppression.objects.create(
                email="ancien.adherent@demo.tribu.local", reason=SuppressionReason.HARD_BOUNCE, source="smtp_bounce",
                detail="5.1.1 smtp; 550 5.1.1 Recipient address rejected: User unknown",
            )
            EmailSuppression.objects.create(
                email="pas.interesse@demo.tribu.local", reason=SuppressionReason.COMPLAINT, source="webhook:postmark",
                detail="Complaint (abuse) reported by the recipient's mailbox provider.",
            )
        TemplateOverride.objects.get_or_create(
            template="imports/emails/invitation", language="fr",
            defaults={
                "subject": "{{ first_name }}, votre espace membre vous attend",
                "body": (
                    "Bonjour {{ first_name }},\n\n"
                    "L'équipe de **{{ community_name }}** vous a ouvert un compte de membre.\n\n"
                    "[Choisir mon mot de passe]({{ url }})\n\n"
                    "Le lien ne sert qu'une fois. À bientôt !"
                ),
            },
        )
