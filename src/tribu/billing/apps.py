from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "tribu.billing"
    label = "billing"
    verbose_name = _("Invoices and renewals")

    def ready(self) -> None:
        from tribu.core.activity_text import describe_verb

        from . import notifications  # noqa: F401  (the renewal reminder's notification kind)

        describe_verb("document.issued", _("%(who)s issued a document for the payment %(payment)s"))
        describe_verb("renewal.reminded", _("%(who)s sent a renewal reminder"))
        describe_verb("renewal.company_requested", _("%(who)s asked to renew the membership of %(company)s"))
        from tribu.privacy.registry import register_exporter

        # Documents are kept after an erasure: accounting documents must be kept for ten years (art.
        # L123-22 of the French commercial code); they hold the buyer's details as issued.
        register_exporter("billing_documents", _export_documents)
        describe_verb("billing.organisation_updated", _("%(who)s updated the organisation's legal details"))


def _export_documents(user: object) -> list[dict[str, object]]:
    from .models import Document

    return list(
        Document.objects.filter(user=user).order_by("issued_at", "pk")
        .values("number", "kind", "issued_at", "total_cents", "currency", "payment_reference")
    )
