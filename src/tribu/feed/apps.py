from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedConfig(AppConfig):
    name = "tribu.feed"
    label = "feed"
    verbose_name = _("Feed")

    def ready(self) -> None:
        from django.utils.translation import gettext

        from tribu.core.activity_text import describe_verb

        from . import notifications  # noqa: F401 - registers the kinds
        from .discussion import notifications as discussion_notifications  # noqa: F401

        def place(data: dict) -> dict:
            return {"group_name": data.get("group_name") or gettext("the community feed")}

        describe_verb("post.created", _("%(who)s posted in %(group_name)s"), place, public=True)
        describe_verb("post.welcome", _("%(member)s was welcomed in %(group_name)s"))
        describe_verb("post.pinned", _("%(who)s pinned a post in %(group_name)s"), place)
        describe_verb("post.unpinned", _("%(who)s unpinned a post in %(group_name)s"), place)
        describe_verb("post.deleted", _("%(who)s deleted a post in %(group_name)s"), place)
        describe_verb("post.edited", _("%(who)s edited a post in %(group_name)s"), place)
        describe_verb("post.locked", _("%(who)s locked a post in %(group_name)s"), place)
        describe_verb("post.unlocked", _("%(who)s unlocked a post in %(group_name)s"), place)
        describe_verb("post.featured", _("%(who)s featured a post in %(group_name)s"), place)
        describe_verb("post.unfeatured", _("%(who)s stopped featuring a post in %(group_name)s"), place)
        describe_verb("post.scheduled", _("%(who)s scheduled a post in %(group_name)s"), place)
        describe_verb("post.published", _("%(who)s published a post in %(group_name)s"), place, public=True)
        describe_verb("mention", _("%(who)s mentioned %(mentioned)s in %(group_name)s"), place)
        describe_verb("member.followed", _("%(who)s follows a member"))
        describe_verb("member.unfollowed", _("%(who)s stopped following a member"))
        describe_verb("tag.followed", _("%(who)s follows #%(tag)s"))
        describe_verb("tag.unfollowed", _("%(who)s stopped following #%(tag)s"))
        describe_verb("welcome_block.created", _("%(who)s added the welcome block « %(title)s »"))
        describe_verb("welcome_block.changed", _("%(who)s changed the welcome block « %(title)s »"))
        describe_verb("welcome_block.deleted", _("%(who)s deleted the welcome block « %(title)s »"))

        from tribu.media import owners

        from . import policies
        from .models import Post

        def _url(post: Post) -> str:
            from .actions import post_url

            return post_url(post)

        owners.register(Post, can_view=policies.can_view, can_edit=policies.can_edit, url=_url)
