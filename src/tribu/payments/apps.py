from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "tribu.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from . import activity  # noqa: F401  (verbs' sentences)
