from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "tribu.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from tribu.core.activity_text import describe_verb

        from . import notifications  # noqa: F401 - registers the notification kinds

        describe_verb("event.created", _("%(who)s created the event %(title)s"))
        describe_verb("event.updated", _("%(who)s updated the event %(title)s"))
        describe_verb("event.published", _("%(who)s published the event %(title)s"), public=True)
        describe_verb("event.cancelled", _("%(who)s cancelled the event %(title)s"))
        describe_verb("event.series_created", _("%(who)s created the series %(title)s"))
        describe_verb("event.resource_added", _("%(who)s attached %(resource)s to the event %(title)s"))
        describe_verb("event.registered", _("%(who)s registered for %(title)s"))
        describe_verb("event.waitlisted", _("%(who)s joined the waitlist of %(title)s"))
        describe_verb("event.unregistered", _("%(who)s cancelled a registration for %(title)s"))
        describe_verb("event.promoted", _("%(member)s got a seat at %(title)s from the waitlist"))
        describe_verb("event.paid", _("%(who)s paid their ticket for %(title)s"))
        describe_verb("event.attended", _("%(who)s attended %(title)s"))
        describe_verb("event.feedback", _("%(who)s gave feedback on %(title)s"))
        describe_verb("event.calendar_revoked", _("%(who)s renewed their calendar feed address"))
