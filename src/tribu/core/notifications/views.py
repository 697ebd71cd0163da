from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"recent": []})


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"recent": []})
