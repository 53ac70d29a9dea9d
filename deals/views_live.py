"""The live deal page and review queue: version checks their polls make, 204 while unchanged."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from deals import live
from handoff.models import Role
from handoff.roles import role_required
from handoff.web.live import seen, unchanged, version_check


@version_check
def deal_version(request: HttpRequest, pk: int) -> HttpResponse:
    """204 while the deal is at the version the page shows; else a banner offering a reload,
    never a new page under someone typing, and the poll carrying on from the new version."""
    version = live.deal_version(request.user, pk)
    if version is None:
        raise Http404("No such deal.")
    if seen(request) == str(version):
        return unchanged()
    deal_url = reverse("deals:detail", args=[pk])
    return render(
        request,
        "partials/live.html#changed",
        {
            "live_message": "This deal changed —",
            "live_reload_url": deal_url,
            "live_id": "deal-live-poll",
            "live_url": reverse("deals:version", args=[pk]),
            "live_version": version,
            "live_target": "#deal-live",
        },
    )


@version_check
@role_required(Role.PM, Role.MANAGER, Role.ADMIN)
def queue_version(request: HttpRequest) -> HttpResponse:
    """204 while the queue is as the page shows it; else an event on which the page's table
    fetches itself again, with the search, sort and page it had."""
    if seen(request) == live.queue_version(request.user):
        return unchanged()
    response = HttpResponse(status=200)
    response["HX-Trigger"] = "queue-changed"
    return response
