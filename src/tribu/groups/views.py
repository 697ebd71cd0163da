"""Pages of groups: thin adapters around ``actions``, ``invitations``, ``rules``, ``queries`` and
``policies``. Every group URL sends anonymous visitors to the login page before looking anything up,
and answers 404 to anyone who may not know the group exists."""

from __future__ import annotations

import csv
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tribu.core.decorators import allowed_if
from tribu.core.forms import add_action_errors
from tribu.core.markdown import render_markdown
from tribu.imports.exports import safe_cell

from . import actions, invitations, policies, queries, rules
from .forms import (
    CreationPolicyForm,
    DecisionForm,
    GroupForm,
    GroupTypeForm,
    InviteForm,
    LevelForm,
    ProposalForm,
    RuleForm,
    join_form,
)
from .models import Group, GroupMembership, GroupType, JoinRequest, NotificationLevel, Role, Visibility

LATER_TABS = [("events", "events:group", gettext_lazy("Events")), ("library", "library:group", gettext_lazy("Library"))]


# Anonymous visitors go to the login page; accounts that may not browse get a 403.
signed_in = allowed_if(policies.can_browse)


def _refuse(request: HttpRequest, group: Group, error: Exception, status: int = 403) -> HttpResponse:
    message = " ".join(getattr(error, "messages", None) or [str(error)]) or _("You are not allowed to do this.")
    return render(request, "groups/refused.html", {"group": group, "message": message}, status=status)


# ---------------------------------------------------------------- directory, my groups


@signed_in
def index(request: HttpRequest) -> HttpResponse:
    filters = queries.parse_filters(request.GET)
    page = queries.page_of(queries.directory(request.user, filters), request.GET.get("page"))
    viewer = policies.viewer(request.user)
    for group in page:
        group.my_role = viewer.roles.get(group.pk)
    params = [(k, v) for k, v in (("q", filters.q), ("type", filters.type_id or ""), ("mine", "1" if filters.mine
              else "")) if v]
    return render(request, "groups/index.html", {
        "page": page, "filters": filters, "types": queries.group_types(), "query": urlencode(params),
        "can_create": policies.can_create_group(request.user),
        "can_propose": policies.can_request_creation(request.user),
    })


@signed_in
def mine(request: HttpRequest) -> HttpResponse:
    rows = list(queries.my_memberships(request.user))
    return render(request, "groups/mine.html", {"rows": rows, "levels": NotificationLevel.choices})


def types_css(request: HttpRequest) -> HttpResponse:
    lines = [f".group-type-{t.pk}{{--type-colour:{t.colour}}}" for t in GroupType.objects.all()]
    response = HttpResponse("\n".join(lines), content_type="text/css")
    response["Cache-Control"] = "max-age=300"
    return response


# ---------------------------------------------------------------- one group


def _tabs(request: HttpRequest, group: Group, current: str) -> list[dict[str, Any]]:
    user = request.user
    tabs = []
    if policies.can_view(user, group):
        tabs.append({"key": "feed", "label": _("Feed"), "url": reverse("groups:detail", args=[group.slug])})
        tabs.append({"key": "members", "label": _("Members"), "url": reverse("groups:members", args=[group.slug])})
        for key, name, label in LATER_TABS:
            try:
                tabs.append({"key": key, "label": label, "url": reverse(name, args=[group.slug])})
            except NoReverseMatch:
                continue
    tabs.append({"key": "about", "label": _("About"), "url": reverse("groups:about", args=[group.slug])})
    for tab in tabs:
        tab["active"] = tab["key"] == current
    return tabs


def _page(request: HttpRequest, group: Group, tab: str, extra: dict[str, Any], status: int = 200) -> HttpResponse:
    from tribu.memberships.access import Access

    user = request.user
    viewer = policies.viewer(user)
    membership = (
        {"role": viewer.roles[group.pk], "notification_level": viewer.levels[group.pk]}
        if group.pk in viewer.roles else None
    )
    teaser = policies.tier_access(user, group) == Access.TEASER and group.pk not in viewer.roles
    context = {
        "group": group,
        "tab": tab,
        "tabs": _tabs(request, group, tab),
        "crumbs": queries.breadcrumbs(user, group),
        "membership": membership,
        "can_view": policies.can_view(user, group),
        "can_join": policies.can_join(user, group),
        "can_request": policies.can_request(user, group),
        "can_edit": policies.can_edit(user, group),
        "can_approve": policies.can_approve(user, group),
        "can_invite": policies.can_invite(user, group),
        "can_export": policies.can_export_members(user, group),
        "teaser": teaser,
        "tiers": list(group.required_tiers.all()) if teaser else [],
        "pending_request": queries.my_pending_request(user, group),
        "levels": NotificationLevel.choices,
        "sub_groups": queries.sub_groups(user, group),
        **extra,
    }
    return render(request, "groups/page.html", context, status=status)


@signed_in
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    from tribu.feed import policies as feed_policies
    from tribu.feed import queries as feed_queries

    group = queries.group_for(request.user, slug)
    if not policies.can_view(request.user, group):
        return _about(request, group)
    with_subgroups = request.GET.get("sub") == "1"
    posts = feed_queries.page_of(
        feed_queries.group_posts(group, with_subgroups_of=request.user if with_subgroups else None),
        request.GET.get("page"),
    )
    from tribu.feed import card_render

    # The same cards as the home feed, written in Python (feed/card_render.py: a test keeps them
    # identical to feed/_card.html, which stays the fallback).
    card_render.attach(feed_queries.cards(list(posts.object_list), request.user), request)
    can_moderate = policies.can_moderate(request.user, group)
    return _page(request, group, "feed", {
        "posts": posts, "with_subgroups": with_subgroups,
        "can_post": feed_policies.can_post_in(request.user, group),
        "can_announce": can_moderate,
    })


def _about(request: HttpRequest, group: Group) -> HttpResponse:
    return _page(request, group, "about", {
        "purpose": render_markdown(group.purpose), "rules_html": render_markdown(group.rules),
        "leaders": queries.leaders(group),
    })


@signed_in
def about(request: HttpRequest, slug: str) -> HttpResponse:
    return _about(request, queries.group_for(request.user, slug))


@signed_in
def members(request: HttpRequest, slug: str) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    if not policies.can_see_members(request.user, group):
        raise PermissionDenied
    q = " ".join(request.GET.get("q", "").split())[:100]
    page = queries.page_of(queries.members(group, q), request.GET.get("page"), queries.MEMBERS_PAGE_SIZE)
    can_set_roles = policies.can_set_roles(request.user, group)
    for row in page:
        row.can_remove = policies.can_remove_member(request.user, group, row)
    return _page(request, group, "members", {"page": page, "q": q, "can_set_roles": can_set_roles,
                                             "roles": Role.choices})


@signed_in
def members_csv(request: HttpRequest, slug: str) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    if not policies.can_export_members(request.user, group):
        raise PermissionDenied
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{group.slug}-members.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_("Name"), _("Email"), _("Role"), _("Joined on"), _("How")])
    q = " ".join(request.GET.get("q", "").split())[:100]
    for row in queries.members(group, q).iterator(chunk_size=500):
        writer.writerow([safe_cell(row.user.name), safe_cell(row.user.email), row.get_role_display(),
                         row.joined_at.date().isoformat(),
                         row.get_source_display()])
    return response


@signed_in
def join(request: HttpRequest, slug: str) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    user = request.user
    if policies.is_member(user, group):
        messages.info(request, _("You are already a member of this group."))
        if request.method == "POST":
            return _refuse(request, group, ValidationError(_("You are already a member of this group.")), 400)
        return redirect("groups:detail", slug=group.slug)
    moderated = group.effective_visibility == Visibility.MODERATED and not policies.viewer(user).team
    if not moderated:
        if request.method != "POST":
            return redirect("groups:about", slug=group.slug)
        try:
            actions.join_group(user, group)
        except PermissionDenied as error:
            return _refuse(request, group, error)
        messages.success(request, _("Welcome to %(name)s!") % {"name": group.name})
        return redirect("groups:detail", slug=group.slug)
    if not policies.can_request(user, group):
        return _refuse(request, group, PermissionDenied(_("You cannot ask to join this group.")))
    form = join_form(group.join_questions, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            answers = [form.cleaned_data[f"answer_{i}"] for i in range(len(group.join_questions))]
            try:
                actions.request_to_join(user, group, answers)
            except ValidationError as error:
                add_action_errors(form, error)
            except PermissionDenied as error:
                return _refuse(request, group, error)
            else:
                messages.success(request, _("Your request was sent: an animator will answer soon."))
                return redirect("groups:about", slug=group.slug)
        status = 400
    return render(request, "groups/join.html", {"group": group, "form": form}, status=status)


@require_POST
@signed_in
def cancel_request(request: HttpRequest, slug: str) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    try:
        actions.cancel_request(request.user, group)
    except JoinRequest.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Your request was withdrawn."))
    return redirect("groups:about", slug=group.slug)


@require_POST
@signed_in
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    try:
        actions.leave_group(request.user, group)
    except GroupMembership.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        return _refuse(request, group, error, 400)
    messages.success(request, _("You left %(name)s.") % {"name": group.name})
    if request.POST.get("next") == "mine":
        return redirect("groups:mine")
    return redirect("groups:index")


@require_POST
@signed_in
def set_level(request: HttpRequest, slug: str) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    form = LevelForm(request.POST)
    if not form.is_valid():
        return _refuse(request, group, ValidationError(_("Choose all activity, mentions only, digest email or mute.")),
                       400)
    try:
        actions.set_notification_level(request.user, group, form.cleaned_data["level"])
    except GroupMembership.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Your notifications for %(name)s were saved.") % {"name": group.name})
    if request.POST.get("next") == "mine":
        return redirect("groups:mine")
    return redirect("groups:about", slug=group.slug)


# ---------------------------------------------------------------- animators


def _parents_for(user: Any, group: Group | None) -> Any:
    rows = Group.objects.filter(archived_at__isnull=True)
    if not policies.can_manage_groups(user):
        v = policies.viewer(user)
        from django.db.models import Q

        q = Q(pk__in=[])
        for path in v.lead_paths:
            q |= Q(path__startswith=path)
        rows = rows.filter(q)
    if group is not None:
        rows = rows.exclude(path__startswith=group.path)
    return rows.order_by("path")


@signed_in
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    if not policies.can_edit(request.user, group):
        raise PermissionDenied
    form = GroupForm(request.POST or None, instance=group, parents=_parents_for(request.user, group))
    if request.method == "POST" and form.is_valid():
        values = form.values()
        tiers = list(form.cleaned_data["required_tiers"])
        group = queries.group_for(request.user, slug)  # the form wrote into the instance; the action compares
        try:
            actions.update_group(request.user, group, values, tiers)
        except ValidationError as error:
            add_action_errors(form, error)
        except PermissionDenied as error:
            form.add_error("parent", str(error) or _("You are not allowed to do this."))
        else:
            messages.success(request, _("The group was saved."))
            return redirect("groups:about", slug=group.slug)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "groups/edit.html", {
        "group": group, "form": form, "can_archive": policies.can_archive(request.user, group),
        "can_unarchive": group.is_archived and policies.can_manage_groups(request.user),
    }, status=status)


@require_POST
@signed_in
def archive(request: HttpRequest, slug: str) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    archived = request.POST.get("archived", "1") == "1"
    try:
        actions.archive_group(request.user, group, archived)
    except PermissionDenied as error:
        return _refuse(request, group, error)
    messages.success(request, _("The group was archived: it is now read-only.") if archived
                     else _("The group was restored."))
    return redirect("groups:about", slug=group.slug)


@signed_in
def create(request: HttpRequest) -> HttpResponse:
    user = request.user
    parent = None
    if request.GET.get("parent"):
        parent = queries.group_for(user, request.GET["parent"])
    if parent is None and not policies.can_create_group(user):
        if policies.can_request_creation(user):
            return _propose(request)
        raise PermissionDenied
    if parent is not None and not policies.can_create_under(user, parent):
        raise PermissionDenied
    form = GroupForm(request.POST or None, parents=_parents_for(user, None), initial={"parent": parent})
    if request.method == "POST" and form.is_valid():
        try:
            group = actions.create_group(user, tiers=form.cleaned_data["required_tiers"], **form.values())
        except ValidationError as error:
            add_action_errors(form, error)
        except PermissionDenied:
            form.add_error("parent", _("You cannot create a group there."))
        else:
            messages.success(request, _("The group %(name)s was created.") % {"name": group.name})
            return redirect("groups:about", slug=group.slug)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "groups/edit.html", {"group": None, "form": form}, status=status)


def _propose(request: HttpRequest) -> HttpResponse:
    form = ProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.request_creation(request.user, **form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Your proposal was sent to the community team."))
            return redirect("groups:index")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "groups/propose.html", {"form": form}, status=status)


def _requests_page(request: HttpRequest, group: Group, status: int = 200) -> HttpResponse:
    return render(request, "groups/requests.html", {
        "group": group, "rows": list(queries.pending_requests(group)), "form": DecisionForm(),
    }, status=status)


@signed_in
def requests(request: HttpRequest, slug: str) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    if not policies.can_approve(request.user, group):
        raise PermissionDenied
    return _requests_page(request, group)


@require_POST
@signed_in
def decide(request: HttpRequest, slug: str, request_id: int) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    if not policies.can_approve(request.user, group):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    message = form.cleaned_data["message"] if form.is_valid() else ""
    approve = request.POST.get("decision") == "approve"
    try:
        join_request = actions.decide_request(request.user, group, request_id, approve=approve, message=message)
    except JoinRequest.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _requests_page(request, group, 400)
    name = join_request.user.name
    messages.success(request, (_("%(name)s is now a member of the group.") if approve
                               else _("The request of %(name)s was declined.")) % {"name": name})
    return redirect("groups:requests", slug=group.slug)


def _invite_page(request: HttpRequest, group: Group, form: Any = None, status: int = 200) -> HttpResponse:
    return render(request, "groups/invite.html", {
        "group": group, "form": form or InviteForm(), "invitations": list(queries.pending_invitations(group)[:200]),
        "left": invitations.invitations_left_today(request.user), "days": invitations.INVITATION_DAYS,
    }, status=status)


@signed_in
def invite(request: HttpRequest, slug: str) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    if not policies.can_invite(request.user, group):
        raise PermissionDenied
    if request.method != "POST":
        return _invite_page(request, group)
    form = InviteForm(request.POST, request.FILES)
    if not form.is_valid():
        return _invite_page(request, group, form, 400)
    try:
        emails = invitations.parse_emails(form.cleaned_data["emails"])
        if form.cleaned_data.get("csv_file"):
            emails += [e for e in invitations.emails_from_csv(form.cleaned_data["csv_file"]) if e not in emails]
        result = invitations.invite(request.user, group, emails)
    except invitations.RateLimited as limited:
        form.add_error("emails", _("You have sent the %(n)d invitations allowed today: try again tomorrow.")
                       % {"n": limited.limit})
        return _invite_page(request, group, form, 429)
    except ValidationError as error:
        add_action_errors(form, error)
        return _invite_page(request, group, form, 400)
    if result.sent:
        sent = ", ".join(i.email for i in result.sent)
        messages.success(request, _("Invitation sent to %(emails)s.") % {"emails": sent})
    if result.skipped_members:
        messages.info(request, _("Already members, not invited: %(emails)s.")
                      % {"emails": ", ".join(result.skipped_members)})
    return redirect("groups:invite", slug=group.slug)


@require_POST
@signed_in
def revoke(request: HttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    if not policies.can_invite(request.user, group):
        raise PermissionDenied
    try:
        invitation = invitations.revoke(request.user, group, invitation_id)
    except invitations.GroupInvitation.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email})
    return redirect("groups:invite", slug=group.slug)


@require_POST
@signed_in
def remove(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    if not policies.can_moderate(request.user, group):
        raise PermissionDenied
    try:
        actions.remove_member(request.user, group, user_id)
    except GroupMembership.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The member was removed from the group."))
    return redirect("groups:members", slug=group.slug)


@require_POST
@signed_in
def set_role(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    if not policies.can_set_roles(request.user, group):
        raise PermissionDenied
    try:
        actions.set_role(request.user, group, user_id, request.POST.get("role", ""))
    except GroupMembership.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The role was changed."))
    return redirect("groups:members", slug=group.slug)


@signed_in
def rules_page(request: HttpRequest, slug: str) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    if not policies.can_edit(request.user, group):
        raise PermissionDenied
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rules.add_rule(request.user, group, **form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("The rule was added: matching members join the group now."))
            return redirect("groups:rules", slug=group.slug)
    rows = list(group.membership_rules.select_related("tier", "company", "field"))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "groups/rules.html", {"group": group, "form": form, "rows": rows}, status=status)


@require_POST
@signed_in
def rule_delete(request: HttpRequest, slug: str, rule_id: int) -> HttpResponse:
    group = queries.group_for(request.user, slug)
    if not policies.can_edit(request.user, group):
        raise PermissionDenied
    try:
        rules.delete_rule(request.user, group, rule_id)
    except rules.MembershipRule.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("The rule was deleted; members it added leave the group."))
    return redirect("groups:rules", slug=group.slug)


# ---------------------------------------------------------------- invitations


def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: a signed-in person joins with one click; anyone else signs up (or logs in)
    first and comes back here."""
    invitation = invitations.find(token)
    refusal = invitations.refusal_for(invitation)
    if refusal is not None:
        return render(request, "groups/invitation_refused.html", {"refusal": refusal}, status=refusal.status)
    assert invitation is not None
    group = invitation.group
    here = request.get_full_path()
    if not request.user.is_authenticated:
        return render(request, "groups/accept.html", {
            "invitation": invitation, "group": group,
            "signup_url": reverse("account_signup") + "?" + urlencode({"next": here}),
            "login_url": reverse("account_login") + "?" + urlencode({"next": here}),
        })
    if request.method == "POST":
        try:
            invitations.accept(request.user, token)
        except invitations.InvitationRefused as refused:
            return render(request, "groups/invitation_refused.html", {"refusal": refused}, status=refused.status)
        messages.success(request, _("Welcome to %(name)s!") % {"name": group.name})
        return redirect("groups:detail", slug=group.slug)
    return render(request, "groups/accept.html", {
        "invitation": invitation, "group": group, "already": GroupMembership.objects.filter(
            group=group, user=request.user).exists(),
    })


# ---------------------------------------------------------------- administration


@allowed_if(policies.can_manage_groups)
def manage(request: HttpRequest) -> HttpResponse:
    q = " ".join(request.GET.get("q", "").split())[:100]
    page = queries.page_of(queries.manage_list(q), request.GET.get("page"), 50)
    policy = queries.creation_policy()
    return render(request, "groups/manage.html", {
        "page": page, "q": q, "types": queries.group_types(),
        "policy_form": CreationPolicyForm(initial={"mode": policy.mode,
                                                   "required_tiers": list(policy.required_tiers.all())}),
        "proposals": list(queries.creation_requests()), "decision_form": DecisionForm(),
    })


@allowed_if(policies.can_manage_groups)
def type_edit(request: HttpRequest, type_id: int | None = None) -> HttpResponse:
    group_type = get_object_or_404(GroupType, pk=type_id) if type_id else None
    form = GroupTypeForm(request.POST or None, instance=group_type)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_group_type(request.user, form.instance)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("The group type was saved."))
            return redirect("groups:manage")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "groups/type_form.html", {"form": form, "group_type": group_type}, status=status)


@require_POST
@allowed_if(policies.can_manage_groups)
def type_delete(request: HttpRequest, type_id: int) -> HttpResponse:
    actions.delete_group_type(request.user, get_object_or_404(GroupType, pk=type_id))
    messages.success(request, _("The group type was deleted; its groups no longer have a type."))
    return redirect("groups:manage")


@require_POST
@allowed_if(policies.can_manage_groups)
def policy(request: HttpRequest) -> HttpResponse:
    form = CreationPolicyForm(request.POST)
    if form.is_valid():
        try:
            actions.set_creation_policy(request.user, form.cleaned_data["mode"], form.cleaned_data["required_tiers"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("groups:manage")
        messages.success(request, _("The group creation policy was saved."))
    else:
        messages.error(request, _("Choose who may create groups."))
    return redirect("groups:manage")


@require_POST
@allowed_if(policies.can_manage_groups)
def decide_proposal(request: HttpRequest, proposal_id: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    message = form.cleaned_data["message"] if form.is_valid() else ""
    approve = request.POST.get("decision") == "approve"
    try:
        actions.decide_creation(request.user, proposal_id, approve=approve, message=message)
    except actions.CreationRequest.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The proposal was approved: the group exists.") if approve
                         else _("The proposal was declined."))
    return redirect("groups:manage")
