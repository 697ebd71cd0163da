"""The site's URLs plus two views that use the tier helpers the way other apps will."""

from django.http import HttpResponse
from django.urls import path

from tribu.core.decorators import allowed_if
from tribu.core.policies import is_member_area_allowed
from tribu.memberships.access import area_required, require, tier_page
from tribu.memberships.models import AreaRestriction
from tribu.urls import urlpatterns as site


@area_required("directory")
@allowed_if(is_member_area_allowed)
def directory_like(request):
    return HttpResponse("the directory")


@tier_page
@allowed_if(is_member_area_allowed)
def restricted_object(request, pk):
    obj = AreaRestriction.objects.prefetch_related("required_tiers").get(pk=pk)
    require(request.user, obj)
    return HttpResponse("the object")


urlpatterns = [
    path("test/area/", directory_like),
    path("test/object/<int:pk>/", restricted_object),
    *site,
]
