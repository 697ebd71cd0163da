from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompaniesConfig(AppConfig):
    name = "tribu.companies"
    label = "companies"
    verbose_name = _("Member companies")

    def ready(self) -> None:
        from tribu.core.activity_text import describe_verb

        describe_verb("company.created", _("%(who)s created the company %(name)s"))
        describe_verb("company.updated", _("%(who)s updated the profile of %(name)s"))
        describe_verb("company.deleted", _("%(who)s deleted the company %(name)s"))
        describe_verb("company.member_attached", _("%(who)s attached %(member)s to %(name)s"))
        describe_verb("company.member_removed", _("%(who)s removed %(member)s from %(name)s"))
        describe_verb("company.member_left", _("%(who)s left the company %(name)s"))
        describe_verb("company.contact_added", _("%(who)s made %(member)s a contact of %(name)s"))
        describe_verb("company.contact_removed", _("%(who)s removed %(member)s from the contacts of %(name)s"))
        describe_verb("company.invitation_sent", _("%(who)s invited a colleague to join %(name)s"))
        describe_verb("company.invitation_revoked", _("%(who)s withdrew an invitation to join %(name)s"))
        describe_verb("company.invitation_accepted", _("%(who)s accepted an invitation to join %(name)s"))
        describe_verb("partner_level.created", _("%(who)s created the partner level %(name)s"))
        describe_verb("partner_level.updated", _("%(who)s updated the partner level %(name)s"))
        describe_verb("partner_level.deleted", _("%(who)s deleted the partner level %(name)s"))
