from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "tribu.segments"
    label = "segments"
    verbose_name = _("Segments")

    def ready(self) -> None:
        from tribu.core.activity_text import describe_verb

        describe_verb("segment.created", _("%(who)s created the segment « %(name)s »"))
        describe_verb("segment.updated", _("%(who)s changed the segment « %(name)s »"))
        describe_verb("segment.duplicated", _("%(who)s duplicated the segment « %(source)s »"))
        describe_verb("segment.deleted", _("%(who)s deleted the segment « %(name)s »"))
        describe_verb("segment.exported", _("%(who)s exported the %(rows)s members of the segment « %(name)s »"))
