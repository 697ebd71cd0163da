from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "tribu.campaigns"
    label = "campaigns"
    verbose_name = _("Email campaigns")

    def ready(self) -> None:
        from tribu.core.activity_text import describe_verb

        describe_verb("campaign.created", _("%(who)s created the campaign %(name)s"))
        describe_verb("campaign.updated", _("%(who)s edited the campaign %(name)s"))
        describe_verb("campaign.deleted", _("%(who)s deleted the campaign %(name)s"))
        describe_verb("campaign.scheduled", _("%(who)s scheduled the campaign %(name)s"))
        describe_verb("campaign.unscheduled", _("%(who)s put the campaign %(name)s back to draft"))
        describe_verb("campaign.sending_started", _("%(who)s started sending the campaign %(name)s"))
        describe_verb("campaign.paused", _("%(who)s paused the campaign %(name)s"))
        describe_verb("campaign.resumed", _("%(who)s resumed the campaign %(name)s"))
        describe_verb("campaign.cancelled", _("%(who)s cancelled the campaign %(name)s"))
        describe_verb("campaign.sent", _("%(who)s finished sending the campaign %(name)s"))
        describe_verb("campaign.test_sent", _("%(who)s sent a test of the campaign %(name)s"))
