from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "tribu.groups"
    label = "groups"
    verbose_name = _("Groups")

    def ready(self) -> None:
        from tribu.core.activity_text import describe_verb

        from . import notifications  # noqa: F401 - registers the kinds

        describe_verb("group.created", _("%(who)s created the group %(name)s"), public=True)
        describe_verb("group.updated", _("%(who)s updated the group %(name)s"))
        describe_verb("group.archived", _("%(who)s archived the group %(name)s"))
        describe_verb("group.unarchived", _("%(who)s restored the group %(name)s"))
        describe_verb("group.deleted", _("%(who)s deleted the group %(name)s"))
        describe_verb("group.joined", _("%(member)s joined the group %(name)s"), public=True)
        describe_verb("group.member_added", _("%(member)s was added to the group %(name)s"))
        describe_verb("group.member_unmatched", _("%(member)s left the group %(name)s (no longer matches its rule)"))
        describe_verb("group.left", _("%(who)s left the group %(name)s"))
        describe_verb("group.member_removed", _("%(who)s removed %(member)s from the group %(name)s"))
        describe_verb("group.role_changed", _("%(who)s changed the role of %(member)s in %(name)s"))
        describe_verb("group.join_requested", _("%(who)s asked to join the group %(name)s"))
        describe_verb("group.join_cancelled", _("%(who)s withdrew a request to join %(name)s"))
        describe_verb("group.request_approved", _("%(who)s let %(member)s into the group %(name)s"))
        describe_verb("group.request_declined", _("%(who)s declined the request of %(member)s to join %(name)s"))
        describe_verb("group.invitation_sent", _("%(who)s invited someone to the group %(name)s"))
        describe_verb("group.invitation_revoked", _("%(who)s withdrew an invitation to the group %(name)s"))
        describe_verb("group.invitation_accepted", _("%(who)s accepted an invitation to the group %(name)s"))
        describe_verb("group.rule_added", _("%(who)s added an automatic membership rule to %(name)s"))
        describe_verb("group.rule_deleted", _("%(who)s deleted an automatic membership rule of %(name)s"))
        describe_verb("group.creation_requested", _("%(who)s proposed the group %(name)s"))
        describe_verb("group.creation_approved", _("%(who)s approved the proposed group %(name)s"))
        describe_verb("group.creation_declined", _("%(who)s declined the proposed group %(name)s"))
        describe_verb("group_type.created", _("%(who)s created the group type %(name)s"))
        describe_verb("group_type.updated", _("%(who)s updated the group type %(name)s"))
        describe_verb("group_type.deleted", _("%(who)s deleted the group type %(name)s"))
        describe_verb("group_policy.updated", _("%(who)s changed who may create groups"))
