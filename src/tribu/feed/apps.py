from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedConfig(AppConfig):
    name = "tribu.feed"
    label = "feed"
    verbose_name = _("Feed")

    def ready(self) -> None:
        from tribu.core.activity_text import describe_verb

        from . import notifications  # noqa: F401 - registers the kinds
        from .discussion import notifications as discussion_notifications  # noqa: F401

        describe_verb("post.created", _("%(who)s posted in %(group_name)s"))
        describe_verb("post.welcome", _("%(member)s was welcomed in %(group_name)s"))
        describe_verb("post.pinned", _("%(who)s pinned a post in %(group_name)s"))
        describe_verb("post.unpinned", _("%(who)s unpinned a post in %(group_name)s"))
        describe_verb("post.deleted", _("%(who)s deleted a post in %(group_name)s"))
