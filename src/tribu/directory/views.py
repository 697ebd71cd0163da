"""Views of the members directory (thin adapters around queries, actions and policies)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tribu.core.decorators import allowed_if
from tribu.memberships.access import check_area, tier_page

from . import actions, policies, queries
from .forms import ContactForm


@tier_page
@allowed_if(policies.can_browse_directory)
def index(request: HttpRequest) -> HttpResponse:
    check_area(request.user, "directory")
    viewer = queries.viewer_for(request.user)
    filters = queries.parse_filters(request.GET, viewer)
    entries = queries.search(viewer, filters)
    page = queries.page_of(entries, request.GET.get("page"), viewer=viewer, filters=filters)
    params = filters.as_params(viewer)
    without_sort = [(k, v) for k, v in params if k != "sort"]
    suggestions = []
    if not filters.narrowed and page.number == 1:
        suggestions = [queries.card(viewer, e) for e in queries.people_like_you(viewer)]
    context = {
        "filters": filters,
        "page": page,
        "cards": [queries.card(viewer, e) for e in page.object_list],
        "facets": queries.facets(viewer, filters, entries),
        "suggestions": suggestions,
        "query": urlencode(params),
        "sorts": [
            {"value": value, "label": label, "selected": value == filters.sort,
             "url": "?" + urlencode([*without_sort, *([("sort", value)] if value != "name" else [])])}
            for value, label in queries.SORTS.items()
        ],
        "team": viewer.team,
    }
    return render(request, "directory/index.html", context)


@tier_page
@allowed_if(policies.can_contact_members)
def contact(request: HttpRequest, user_id: int) -> HttpResponse:
    check_area(request.user, "directory")
    recipient = queries.contactable_member(request.user, user_id)
    if recipient.pk == request.user.pk:
        raise PermissionDenied(_("You cannot write to yourself."))
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.contact_member(
                request.user,
                recipient,
                subject=form.cleaned_data["subject"],
                message=form.cleaned_data["message"],
                allow_reply=form.cleaned_data["allow_reply"],
            )
        except actions.ContactRateLimited as limited:
            return render(
                request,
                "directory/rate_limited.html",
                {"recipient": recipient, "limit": limited.limit, "per_day": limited.window.days >= 1},
                status=429,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, _("Your message was sent to %(name)s.") % {"name": recipient.name})
            return redirect("directory:index")
    return render(
        request,
        "directory/contact.html",
        {"form": form, "recipient": recipient},
        status=400 if form.is_bound and form.errors else 200,
    )

