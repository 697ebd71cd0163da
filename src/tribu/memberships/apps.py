from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipsConfig(AppConfig):
    name = "tribu.memberships"
    label = "memberships"
    verbose_name = _("Memberships")

    def ready(self) -> None:
        from . import activity, notifications  # noqa: F401  (verbs' sentences, notification kind)
