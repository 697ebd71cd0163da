from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "tribu.directory"
    label = "directory"
    verbose_name = _("Directory")

    def ready(self) -> None:
        from tribu.core.activity_text import describe_verb

        describe_verb("member.contacted", _("%(who)s wrote to a member through the directory"))
