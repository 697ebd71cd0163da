"""Library pages: thin adapters around ``queries`` (reads), ``policies`` (who) and ``actions`` (writes)."""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tribu.core import policies as core_policies
from tribu.core.decorators import allowed_if
from tribu.core.forms import add_action_errors
from tribu.groups import policies as group_policies
from tribu.groups import queries as group_queries
from tribu.groups.models import Group
from tribu.memberships.access import Access

from . import actions, policies, queries
from .forms import COMMUNITY, CategoryForm, ResourceForm
from .models import Category, Resource, ResourceKind

# Anonymous visitors go to the login page; accounts that may not browse get a 403.
signed_in = allowed_if(policies.can_browse)


def _query(filters: queries.Filters) -> str:
    params = {"q": filters.q, "kind": filters.kind, "category": filters.category_id or "",
              "group": COMMUNITY if filters.community_only else (filters.group_id or "")}
    return urlencode({k: v for k, v in params.items() if v})


def _listing_context(request: HttpRequest, filters: queries.Filters, rows: Any, **extra: Any) -> dict[str, Any]:
    page = queries.page_of(request.user, rows, request.GET.get("page"))
    return {"page": page, "filters": filters, "query": _query(filters), "kinds": ResourceKind.choices,
            "can_manage": policies.can_manage_any(request.user), **extra}


# ---------------------------------------------------------------- reading


@signed_in
def index(request: HttpRequest) -> HttpResponse:
    filters = queries.parse_filters(request.GET)
    filtered = any([filters.q, filters.kind, filters.category_id, filters.group_id, filters.community_only])
    rows = queries.listing(request.user, filters)
    return render(request, "library/index.html", _listing_context(
        request, filters, rows,
        featured=[] if filtered or request.GET.get("page") not in (None, "", "1") else queries.featured(request.user),
        categories=queries.categories(None),
        groups=queries.readable_library_groups(request.user),
    ))


@signed_in
def category(request: HttpRequest, slug: str) -> HttpResponse:
    cat = queries.category_for(request.user, slug)
    filters = queries.parse_filters(request.GET)
    rows = queries.listing(request.user, queries.Filters(q=filters.q, kind=filters.kind), category=cat)
    return render(request, "library/category.html", _listing_context(
        request, filters, rows, category=cat, subcategories=list(cat.children.all()) if not cat.parent_id else [],
        can_edit_category=policies.can_edit_category(request.user, cat),
    ))


@signed_in
def group(request: HttpRequest, slug: str) -> HttpResponse:
    grp = group_queries.group_for(request.user, slug)  # 404 for those who may not know it exists
    if not group_policies.can_view(request.user, grp):
        return render(request, "library/refused.html", {
            "message": _("The library of this group is for its members."), "group": grp}, status=403)
    filters = queries.parse_filters(request.GET)
    rows = queries.listing(request.user, queries.Filters(q=filters.q, kind=filters.kind,
                                                         category_id=filters.category_id), group=grp)
    return render(request, "library/group.html", _listing_context(
        request, filters, rows, group=grp, categories=queries.categories(grp),
        can_add=policies.can_manage_place(request.user, grp) and not grp.is_archived,
    ))


@signed_in
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    resource = queries.resource_for(request.user, pk)
    decision = policies.decide(request.user, resource)
    context: dict[str, Any] = {"resource": resource, "locked": decision == Access.TEASER,
                               "can_edit": policies.can_edit(request.user, resource)}
    if decision == Access.TEASER:
        context["tiers"] = list(resource.required_tiers.all())
        return render(request, "library/detail.html", context, status=403)
    embed = card = None
    if resource.url and resource.kind in (ResourceKind.VIDEO, ResourceKind.PODCAST):
        from tribu.media.rich import embed_for, embed_html

        found = embed_for(resource.url)
        embed = embed_html(resource.url, *found) if found else None
    if resource.url and not embed and resource.kind in (ResourceKind.LINK, ResourceKind.PODCAST,
                                                        ResourceKind.DOCUMENT):
        from tribu.media.links import card_for

        card = card_for(resource.url)
    discussion = resource.discussion if resource.discussion_id and resource.discussion.deleted_at is None else None
    context.update({
        "embed": embed, "card": card, "discussion": discussion,
        "discussion_url": _post_url(discussion) if discussion else "",
        "can_discuss": policies.can_discuss(request.user, resource),
    })
    return render(request, "library/detail.html", context)


def _post_url(post: Any) -> str:
    from tribu.feed.actions import post_url

    return post_url(post)


def _serve(field: Any, name: str, content_type: str, *, attachment: bool) -> HttpResponse:
    try:
        handle = field.storage.open(field.name, "rb")
    except (OSError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=attachment, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store" if attachment else "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@signed_in
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file, to those who may open the resource (a 404 for everyone else: a teaser never leads to
    the file), counted once per request."""
    resource = queries.resource_for(request.user, pk)
    if not policies.can_open(request.user, resource) or not resource.file:
        raise Http404
    response = _serve(resource.file, resource.file_name or "download", resource.file_type or
                      "application/octet-stream", attachment=True)
    actions.record_download(request.user, resource)
    return response


@signed_in
def cover(request: HttpRequest, pk: int) -> HttpResponse:
    resource = queries.resource_for(request.user, pk)
    if not resource.cover:
        raise Http404
    content_type = mimetypes.guess_type(resource.cover.name)[0] or "application/octet-stream"
    if not content_type.startswith("image/"):
        raise Http404
    return _serve(resource.cover, resource.cover.name.rsplit("/", 1)[-1], content_type, attachment=False)


@require_POST
@signed_in
def discuss(request: HttpRequest, pk: int) -> HttpResponse:
    resource = queries.resource_for(request.user, pk)
    try:
        post = actions.open_discussion(request.user, resource)
    except PermissionDenied as error:
        return render(request, "library/refused.html", {
            "message": str(error) or _("You are not allowed to do this."), "resource": resource}, status=403)
    return redirect(_post_url(post))


# ---------------------------------------------------------------- management


def _places(user: Any) -> list[tuple[str, str]]:
    places = [(COMMUNITY, _("Community library"))] if policies.can_manage_place(user, None) else []
    places += [(str(g.pk), _("Group: %(name)s") % {"name": g.name}) for g in queries.manageable_groups(user)]
    return places


def _place_of(user: Any, value: str) -> Group | None:
    if value == COMMUNITY:
        return None
    group = Group.objects.filter(pk=queries._int(value)).first()
    if group is None or not policies.can_manage_place(user, group):
        raise PermissionDenied
    return group


def _managed_resource(user: Any, pk: int) -> Resource:
    resource = queries.resource_for(user, pk)
    if not policies.can_edit(user, resource):
        raise PermissionDenied
    return resource


def _managed_category(user: Any, pk: int) -> Category:
    cat = Category.objects.select_related("group", "parent").filter(pk=pk).first()
    if cat is None or not policies.can_view_category(user, cat):
        raise Http404
    if not policies.can_edit_category(user, cat):
        raise PermissionDenied
    return cat


@signed_in
def manage(request: HttpRequest) -> HttpResponse:
    if not policies.can_manage_any(request.user):
        raise PermissionDenied
    q = " ".join(request.GET.get("q", "").split())[:100]
    rows = queries.managed_resources(request.user).select_related("group", "category")
    if q:
        rows = rows.filter(title__icontains=q)
    from django.core.paginator import Paginator

    page = Paginator(rows.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "library/manage.html", {
        "page": page, "q": q, "team": core_policies.is_team(request.user),
        "categories": queries.managed_categories(request.user).order_by(
            "group__name", "parent_id", "position", "id")[:500],
    })


def _resource_form(request: HttpRequest, resource: Resource | None) -> ResourceForm:
    user = request.user
    initial: dict[str, Any] = {}
    if resource is not None:
        initial = {name: getattr(resource, name) for name in actions.FIELDS}
        initial["place"] = str(resource.group_id) if resource.group_id else COMMUNITY
        initial["required_tiers"] = list(resource.required_tiers.all())
    elif request.GET.get("group"):
        initial["place"] = request.GET["group"]
    places = _places(user)
    if resource is not None:
        label = resource.group.name if resource.group_id else _("Community library")
        places = [(initial["place"], label)]
    return ResourceForm(request.POST or None, request.FILES or None, initial=initial, places=places,
                        categories=queries.managed_categories(user), editing=resource is not None)


@signed_in
def create(request: HttpRequest) -> HttpResponse:
    if not policies.can_manage_any(request.user):
        raise PermissionDenied
    form = _resource_form(request, None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            place = _place_of(request.user, data["place"])
            resource = actions.create_resource(
                request.user, group=place, kind=data["kind"], title=data["title"], summary=data["summary"],
                body=data["body"], url=data["url"], file=data["file"], cover=data["cover"],
                cover_alt=data["cover_alt"], category=data["category"], featured=data["featured"],
                published=data["published"], tiers=data["required_tiers"], restriction_mode=data["restriction_mode"],
            )
        except ValidationError as error:
            add_action_errors(form, error)
        except PermissionDenied as error:
            form.add_error("place", str(error) or _("You are not allowed to do this."))
        else:
            messages.success(request, _("The resource was added."))
            return redirect("library:detail", pk=resource.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "library/edit.html", {"form": form, "resource": None}, status=status)


@signed_in
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _managed_resource(request.user, pk)
    form = _resource_form(request, resource)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resource = actions.update_resource(
                request.user, resource, file=data["file"], cover=data["cover"],
                remove_cover=data.get("remove_cover", False), tiers=data["required_tiers"],
                **{name: data[name] for name in actions.FIELDS},
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("The resource was saved."))
            return redirect("library:detail", pk=resource.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "library/edit.html", {"form": form, "resource": resource}, status=status)


@require_POST
@signed_in
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _managed_resource(request.user, pk)
    group = resource.group
    actions.delete_resource(request.user, resource)
    messages.success(request, _("The resource was deleted."))
    return redirect("library:group", slug=group.slug) if group else redirect("library:manage")


@require_POST
@signed_in
def feature(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _managed_resource(request.user, pk)
    featured = request.POST.get("featured") == "1"
    actions.set_featured(request.user, resource, featured)
    messages.success(request, _("The resource is featured.") if featured else _("The resource is no longer featured."))
    return redirect("library:detail", pk=resource.pk)


def _category_form(request: HttpRequest, cat: Category | None) -> CategoryForm:
    user = request.user
    initial: dict[str, Any] = {}
    places = _places(user)
    if cat is not None:
        initial = {n: getattr(cat, n) for n in ("name_fr", "name_en", "description_fr", "description_en",
                                                  "parent", "position")}
        initial["place"] = str(cat.group_id) if cat.group_id else COMMUNITY
        places = [(initial["place"], cat.group.name if cat.group_id else _("Community library"))]
        parents = Category.objects.filter(group=cat.group, parent__isnull=True).exclude(pk=cat.pk)
    else:
        parents = queries.managed_categories(user).filter(parent__isnull=True)
    return CategoryForm(request.POST or None, initial=initial, places=places, parents=parents,
                        editing=cat is not None)


@signed_in
def category_create(request: HttpRequest) -> HttpResponse:
    if not policies.can_manage_any(request.user):
        raise PermissionDenied
    form = _category_form(request, None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.create_category(
                request.user, group=_place_of(request.user, data["place"]), name_fr=data["name_fr"],
                name_en=data["name_en"], description_fr=data["description_fr"],
                description_en=data["description_en"], parent=data["parent"], position=data["position"],
            )
        except ValidationError as error:
            add_action_errors(form, error)
        except PermissionDenied as error:
            form.add_error("place", str(error) or _("You are not allowed to do this."))
        else:
            messages.success(request, _("The category was created."))
            return redirect("library:manage")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "library/category_form.html", {"form": form, "category": None}, status=status)


@signed_in
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cat = _managed_category(request.user, pk)
    form = _category_form(request, cat)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.update_category(request.user, cat, **{
                n: data[n] for n in ("name_fr", "name_en", "description_fr", "description_en", "parent", "position")})
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("The category was saved."))
            return redirect("library:manage")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "library/category_form.html", {"form": form, "category": cat}, status=status)


@require_POST
@signed_in
def category_delete(request: HttpRequest, pk: int) -> HttpResponse:
    cat = _managed_category(request.user, pk)
    actions.delete_category(request.user, cat)
    messages.success(request, _("The category was deleted; its resources stay in the library."))
    return redirect("library:manage")

