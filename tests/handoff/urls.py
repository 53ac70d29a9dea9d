"""The site's URLs plus pages that fail on purpose, to see the error pages a person gets."""

from django.http import HttpResponse
from django.urls import path
from rest_framework.decorators import api_view
from rest_framework.response import Response

from config.urls import handler403, handler404, handler500, urlpatterns
from handoff.models import Role
from handoff.roles import role_required

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


@role_required(Role.MANAGER, Role.ADMIN)
def managers_only(request):
    return HttpResponse("for managers")


def broken(request):
    raise RuntimeError("a bug")


@api_view(["GET"])
def whoami(request):
    return Response({"username": request.user.username})


urlpatterns = [
    *urlpatterns,
    path("test/api/whoami/", whoami),
    path("test/managers-only/", managers_only),
    path("test/broken/", broken),
]
