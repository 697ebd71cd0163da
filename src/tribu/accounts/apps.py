from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "tribu.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from tribu.core.activity_text import describe_verb

        describe_verb("profile.updated", _("%(who)s updated their profile"))
        describe_verb("custom_field.created", _("%(who)s created the profile field %(label)s"))
        describe_verb("custom_field.updated", _("%(who)s changed the profile field %(label)s"))
        describe_verb("custom_field.archived", _("%(who)s archived the profile field %(label)s"))
        describe_verb("custom_field.restored", _("%(who)s restored the profile field %(label)s"))
        describe_verb("custom_field.reordered", _("%(who)s reordered the profile fields"))
        describe_verb("signup_form.updated", _("%(who)s changed the signup form"))
