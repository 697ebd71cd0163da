from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "tribu.privacy"
    label = "privacy"
    verbose_name = _("Personal data")

    def ready(self) -> None:
        from tribu.core.activity_text import describe_verb

        from . import builtins  # noqa: F401  (registers the exporters and erasers of existing apps)

        describe_verb("member.erased", _("A member's personal data were deleted"))
        describe_verb("privacy.exported", _("%(who)s downloaded their personal data"))
        describe_verb("privacy.consents_changed", _("%(who)s changed their email consents"))
        describe_verb("privacy.erasure_requested", _("%(who)s recorded a request to delete an account"))
        describe_verb("privacy.erasure_cancelled", _("%(who)s cancelled a request to delete an account"))
