from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "tribu.billing"
    label = "billing"
    verbose_name = _("Invoices and renewals")

    def ready(self) -> None:
        from tribu.core.activity_text import describe_verb

        describe_verb("document.issued", _("%(who)s issued a document for the payment %(payment)s"))
        describe_verb("renewal.reminded", _("%(who)s sent a renewal reminder"))
        describe_verb("renewal.company_requested", _("%(who)s asked to renew the membership of %(company)s"))
        describe_verb("billing.organisation_updated", _("%(who)s updated the organisation's legal details"))
