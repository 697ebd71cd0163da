from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LibraryConfig(AppConfig):
    name = "tribu.library"
    label = "library"
    verbose_name = _("Library")

    def ready(self) -> None:
        from tribu.core.activity_text import describe_verb

        describe_verb("resource.created", _("%(who)s added the resource %(title)s to the library"))
        describe_verb("resource.updated", _("%(who)s updated the resource %(title)s"))
        describe_verb("resource.deleted", _("%(who)s deleted the resource %(title)s"))
        describe_verb("resource.featured", _("%(who)s featured the resource %(title)s"))
        describe_verb("resource.unfeatured", _("%(who)s stopped featuring the resource %(title)s"))
        describe_verb("resource.downloaded", _("%(who)s downloaded %(title)s"))
        describe_verb("resource.discussed", _("%(who)s started a discussion about %(title)s"))
        describe_verb("resource_category.created", _("%(who)s created the library category %(name)s"))
        describe_verb("resource_category.updated", _("%(who)s updated the library category %(name)s"))
        describe_verb("resource_category.deleted", _("%(who)s deleted the library category %(name)s"))
