from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "tribu.imports"
    label = "imports"
    verbose_name = _("Imports and exports")

    def ready(self) -> None:
        from tribu.core.activity_text import describe_verb
        from tribu.privacy.registry import register_eraser

        from .personal_data import erase_from_reports

        register_eraser("imports", erase_from_reports)

        describe_verb("import.uploaded", _("%(who)s uploaded a file to import (%(rows)s lines)"))
        describe_verb(
            "import.applied",
            _("%(who)s imported a file: %(create)s created, %(update)s updated, %(unchanged)s unchanged, "
              "%(error)s in error"),
        )
        describe_verb("member.imported", _("%(who)s imported a member"))
        describe_verb("member.import_updated", _("%(who)s updated a member by import"))
        describe_verb("member.invitation_opened", _("%(who)s opened their invitation"))
        describe_verb("company.imported", _("%(who)s imported a company"))
        describe_verb("company.import_updated", _("%(who)s updated a company by import"))
        describe_verb("members.exported", _("%(who)s exported the member list (%(format)s)"))
        describe_verb("companies.exported", _("%(who)s exported the companies (%(format)s)"))
