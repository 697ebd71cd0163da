"""The search page (a thin adapter around ``queries.search``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tribu.core.decorators import allowed_if

from . import policies, queries


@allowed_if(policies.can_search)
def index(request: HttpRequest) -> HttpResponse:
    params = queries.parse(request.GET)
    results = queries.search(request.user, params)
    active = []
    if params.group:
        name = next((g["name"] for g in results.groups if g["id"] == params.group), None)
        active.append(("group", name or f"#{params.group}"))
    if params.author:
        name = next((h.author[1] for h in results.hits if h.author and h.author[0] == params.author), None)
        active.append(("author", name or f"#{params.author}"))
    if params.tag:
        active.append(("tag", f"#{params.tag}"))
    tabs = []
    for kind, label in queries.KIND_LABELS.items():
        count = results.counts.get(kind, 0)
        if count or params.kind == kind:
            tabs.append({"kind": kind, "label": label, "count": count, "selected": params.kind == kind,
                         "url": "?" + urlencode(params.as_params(kind=kind, page=""))})
    context = {
        "params": params,
        "results": results,
        "tabs": tabs,
        "all_url": "?" + urlencode(params.as_params(kind="")),
        "active_filters": [
            {"label": label, "url": "?" + urlencode(params.as_params(**{key: ""}))} for key, label in active
        ],
        "group_options": [
            {**g, "url": "?" + urlencode(params.as_params(group=g["id"])), "selected": g["id"] == params.group}
            for g in results.groups
        ],
        "next_url": "?" + urlencode(params.as_params(page=params.page + 1)) if results.has_next else "",
        "previous_url": "?" + urlencode(params.as_params(page=params.page - 1 if params.page > 2 else ""))
        if params.page > 1 else "",
        "members_url": "?" + urlencode(params.as_params(kind=queries.MEMBER)),
        "searched": bool(params.words or params.narrowed),
        "cap": queries.COUNT_CAP,
    }
    status = 400 if params.errors and not results.hits and not params.words and params.q else 200
    return render(request, "search/index.html", context, status=status)
