from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "tribu.core"
    label = "core"
    verbose_name = _("Community")

    def ready(self) -> None:
        from . import checks

        checks.register()
