"""Actions and rules: joining, requests, nested visibility, roles, archive, automatic membership."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tribu.core.models import Activity, Notification
from tribu.feed.models import Post
from tribu.groups import actions, policies, queries, rules
from tribu.groups.models import GroupMembership, JoinRequest

from .conftest import add_to, make_group, make_membership, make_tier

pytestmark = pytest.mark.django_db


def test_joining_a_public_group_adds_the_member_posts_a_welcome_that_mentions_them_and_records_it(club, mia):
    actions.join_group(mia, club)
    club.refresh_from_db()
    assert club.member_count == 2
    post = Post.objects.get(group=club, kind="welcome")
    assert list(post.mentions.all()) == [mia]
    assert "Bienvenue" in post.body_html and f'/profile/{mia.pk}/' in post.body_html and "Mia Membre" in post.body_html
    assert Activity.objects.filter(verb="group.joined", group=club, actor=mia).exists()
    assert Notification.objects.filter(recipient=mia, kind="feed.mention").exists()


def test_joining_twice_is_refused_and_changes_nothing(club, mia):
    actions.join_group(mia, club)
    policies.forget(mia)
    with pytest.raises(actions.AlreadyMember):
        actions.join_group(mia, club)
    assert GroupMembership.objects.filter(group=club, user=mia).count() == 1
    club.refresh_from_db()
    assert club.member_count == 2


def test_a_moderated_group_takes_a_request_with_answers_and_the_animator_is_notified(commission, mia, anna):
    with pytest.raises(PermissionDenied):
        actions.join_group(mia, commission)
    with pytest.raises(ValidationError):
        actions.request_to_join(mia, commission, [""])
    actions.request_to_join(mia, commission, ["Pour aider"])
    with pytest.raises(ValidationError):
        actions.request_to_join(mia, commission, ["Encore"])
    assert JoinRequest.objects.filter(group=commission, user=mia, status="pending").count() == 1
    note = Notification.objects.get(recipient=anna, kind="groups.join_request")
    assert note.url == f"/groups/{commission.slug}/requests/"


def test_only_animators_answer_requests_and_an_answered_request_stays_answered(commission, mia, anna, gina):
    from conftest import make_user

    other = make_user("olga@example.org", "member", "Olga Other")
    join_request = actions.request_to_join(mia, commission, ["Pour aider"])
    with pytest.raises(PermissionDenied):
        actions.decide_request(other, commission, join_request.pk, approve=True)
    assert not GroupMembership.objects.filter(group=commission, user=mia).exists()
    actions.decide_request(anna, commission, join_request.pk, approve=True, message="Bienvenue")
    assert GroupMembership.objects.filter(group=commission, user=mia, source="request").exists()
    with pytest.raises(ValidationError):
        actions.decide_request(anna, commission, join_request.pk, approve=False)
    decided = Notification.objects.get(recipient=mia, kind="groups.request_decided")
    assert decided.data["approved"] is True


def test_a_private_parent_keeps_its_public_sub_group_private_and_animators_of_the_parent_animate_it(anna, mia):
    parent = make_group("Réseau national", visibility="private", owner=anna)
    child = make_group("Antenne Bretagne", visibility="public", parent=parent)
    grandchild = make_group("Antenne Rennes", visibility="public", parent=child)
    assert child.effective_visibility == "private" and grandchild.effective_visibility == "private"
    assert grandchild.path.startswith(parent.path) and grandchild.depth == 2
    assert not policies.knows_exists(mia, grandchild)
    assert policies.is_animator(anna, grandchild) and policies.can_approve(anna, grandchild)
    assert set(queries.visible_groups(anna)) == {parent, child, grandchild}
    assert list(queries.visible_groups(mia)) == []
    # Opening the parent opens the subtree at once.
    actions.update_group(anna, parent, {"visibility": "public"})
    grandchild.refresh_from_db()
    policies.forget(mia)
    assert grandchild.effective_visibility == "public"
    assert set(queries.visible_groups(mia)) == {parent, child, grandchild}


def test_a_group_cannot_move_under_its_own_sub_group(anna, alice):
    parent = make_group("Parent", owner=anna)
    child = make_group("Enfant", parent=parent)
    with pytest.raises(ValidationError):
        actions.update_group(alice, parent, {"parent": child})
    parent.refresh_from_db()
    assert parent.parent_id is None


def test_the_last_owner_cannot_leave_and_an_archived_group_is_read_only(club, anna, mia, alice):
    with pytest.raises(ValidationError):
        actions.leave_group(anna, club)
    actions.archive_group(alice, club)
    club.refresh_from_db()
    policies.forget(mia)
    with pytest.raises(PermissionDenied):
        actions.join_group(mia, club)
    assert not policies.can_post(anna, club) and not policies.can_edit(anna, club)
    assert policies.can_edit(alice, club)


def test_automatic_rules_add_matching_members_and_remove_them_when_they_stop_matching(anna, mia, bob):
    from tribu.accounts.models import Profile

    Profile.objects.update_or_create(user=mia, defaults={"region": "Bretagne"})
    Profile.objects.update_or_create(user=bob, defaults={"region": "Alsace"})
    group = make_group("Antenne Bretagne", owner=anna)
    rules.add_rule(anna, group, kind="region", value="bretagne")
    rules.sync_group(group)
    assert set(GroupMembership.objects.filter(group=group).values_list("user_id", flat=True)) == {anna.pk, mia.pk}
    assert rules.apply_rules()["added"] == 0  # idempotent
    Profile.objects.filter(user=mia).update(region="Normandie")
    assert rules.apply_for_user(mia) == {"added": 0, "removed": 1}
    assert not GroupMembership.objects.filter(group=group, user=mia).exists()
    assert Activity.objects.filter(verb="group.member_unmatched", group=group).count() == 1
    assert GroupMembership.objects.filter(group=group, user=anna).exists()  # the owner was not brought by the rule


def test_a_tier_rule_follows_memberships(anna, mia):
    premium = make_tier("premium")
    group = make_group("Club premium", owner=anna)
    rules.add_rule(anna, group, kind="tier", tier=premium)
    assert rules.apply_rules()["added"] == 0
    make_membership(tier=premium, user=mia)
    assert rules.apply_rules()["added"] == 1
    assert GroupMembership.objects.filter(group=group, user=mia, source="rule").exists()


def test_tier_restricted_groups_hide_or_tease(anna, mia):
    premium = make_tier("premium")
    hidden = make_group("Cercle caché", owner=anna, tiers=[premium], restriction_mode="hidden")
    teased = make_group("Cercle teaser", owner=anna, tiers=[premium], restriction_mode="teaser")
    sub = make_group("Sous-cercle", parent=hidden)
    assert set(queries.visible_groups(mia)) == {teased}
    assert not policies.can_view(mia, teased) and not policies.can_join(mia, teased)
    make_membership(tier=premium, user=mia)
    from tribu.memberships.access import forget

    forget(mia)
    policies.forget(mia)
    assert set(queries.visible_groups(mia)) == {hidden, teased, sub}
    assert policies.can_join(mia, teased)


def test_guests_only_see_groups_open_to_guests(anna, gina):
    closed = make_group("Fermé", owner=anna)
    opened = make_group("Ouvert", owner=anna, guests=True)
    assert list(queries.visible_groups(gina)) == [opened]
    assert not policies.knows_exists(gina, closed)


def test_creation_policy_by_tiers_and_by_approval(alice, mia, bob):
    premium = make_tier("premium")
    assert not policies.can_create_group(mia)
    actions.set_creation_policy(alice, "tiers", [premium])
    make_membership(tier=premium, user=mia)
    assert policies.can_create_group(mia)
    group = actions.create_group(mia, name="Club vélo")
    assert GroupMembership.objects.get(group=group, user=mia).role == "owner"
    actions.set_creation_policy(alice, "approval")
    assert not policies.can_create_group(mia) and policies.can_request_creation(mia)
    proposal = actions.request_creation(mia, name="Club lecture", purpose="Lire ensemble")
    assert Notification.objects.filter(recipient=bob, kind="groups.creation").exists()
    with pytest.raises(PermissionDenied):
        actions.decide_creation(mia, proposal.pk, approve=True)
    proposal = actions.decide_creation(bob, proposal.pk, approve=True)
    assert GroupMembership.objects.get(group=proposal.group, user=mia).role == "owner"


def test_per_group_notification_levels_decide_who_hears_of_a_new_post(club, anna, mia, bob, gina):
    from conftest import make_user
    from tribu.feed.actions import create_post

    ned = make_user("ned@example.org", "member", "Ned Digest")
    max_ = make_user("max@example.org", "member", "Max Muet")
    for user, level in ((mia, "all"), (bob, "mentions"), (ned, "digest"), (max_, "mute")):
        add_to(club, user)
        GroupMembership.objects.filter(group=club, user=user).update(notification_level=level)
    create_post(anna, club, f"Bonjour à tous, et @[Max](user:{max_.pk}) et @[Bob](user:{bob.pk})")
    kinds = dict(Notification.objects.values_list("recipient__email", "kind"))
    assert kinds == {"mia@example.org": "groups.activity", "bob@example.org": "feed.mention",
                     "ned@example.org": "groups.activity_digest"}


def test_mentioning_an_outsider_in_a_private_group_tells_them_nothing(secret, anna, mia):
    from tribu.feed.actions import create_post

    post = create_post(anna, secret, f"Et si on invitait @[Mia](user:{mia.pk}) ?")
    assert not Notification.objects.filter(recipient=mia).exists()
    assert list(post.mentions.all()) == []
    assert "/profile/" not in post.body_html


def test_the_periodic_job_applies_the_rules_and_a_second_run_changes_nothing(anna, mia):
    from tribu.accounts.models import Profile
    from tribu.core.schedule import JOBS
    from tribu.groups import jobs  # noqa: F401 - registers the job

    Profile.objects.update_or_create(user=mia, defaults={"city": "Rennes"})
    group = make_group("Antenne Rennes", owner=anna)
    from tribu.groups.models import MembershipRule

    MembershipRule.objects.create(group=group, kind="city", value="rennes")
    job = JOBS["groups.membership_rules"]
    assert job.func() == {"groups": 1, "added": 1, "removed": 0}
    assert job.func() == {"groups": 1, "added": 0, "removed": 0}
    assert Activity.objects.filter(verb="group.member_added", group=group).count() == 1


def test_rules_follow_a_change_as_soon_as_it_is_saved(anna, mia, bob, django_capture_on_commit_callbacks):
    """Without waiting for the periodic job: a tier granted by the team, a region typed in a profile."""
    from tribu.accounts.actions import update_profile
    from tribu.memberships import actions as memberships

    premium = make_tier("premium")
    club = make_group("Club premium", owner=anna)
    antenne = make_group("Antenne Bretagne", owner=anna)
    rules.add_rule(anna, club, kind="tier", tier=premium)
    rules.add_rule(anna, antenne, kind="region", value="Bretagne")

    with django_capture_on_commit_callbacks(execute=True):
        membership = memberships.grant(bob, tier=premium, reason="Cotisation reçue", user=mia)
    assert GroupMembership.objects.filter(group=club, user=mia, source="rule").exists()

    with django_capture_on_commit_callbacks(execute=True):
        update_profile(mia, mia, {"region": "Bretagne"})
    assert GroupMembership.objects.filter(group=antenne, user=mia, source="rule").exists()

    with django_capture_on_commit_callbacks(execute=True):
        memberships.cancel(bob, membership, reason="Départ")
    assert not GroupMembership.objects.filter(group=club, user=mia).exists()
    assert GroupMembership.objects.filter(group=antenne, user=mia).exists()
