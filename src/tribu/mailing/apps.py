from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailingConfig(AppConfig):
    name = "tribu.mailing"
    label = "mailing"
    verbose_name = _("Emails")

    def ready(self) -> None:
        from anymail.signals import tracking

        from tribu.core.activity_text import describe_verb

        from .bounces import tracking_receiver
        from .headers import install

        install()

        tracking.connect(tracking_receiver, dispatch_uid="tribu.mailing.tracking")
        describe_verb("mailing.subscriptions_changed", _("%(who)s changed which emails they receive"))
        describe_verb("mailing.unsubscribed", _("%(who)s unsubscribed from some emails"))
        describe_verb("mailing.address_suppressed", _("%(who)s stopped all email to an address"))
        describe_verb("mailing.suppression_lifted", _("%(who)s allowed email to an address again"))
        describe_verb("mailing.template_saved", _("%(who)s rewrote an email template"))
        describe_verb("mailing.template_reset", _("%(who)s reset an email template to its default"))
        describe_verb("mailing.template_tested", _("%(who)s sent themselves a test email"))
