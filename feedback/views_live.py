"""The live notification badge: the version check its poll makes, 204 while the count stands."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from feedback import selectors
from handoff.web.live import seen, unchanged, version_check


@version_check
def bell_version(request: HttpRequest) -> HttpResponse:
    """204 while the unread count is the one the badge shows; else the badge with the new one."""
    unread = selectors.unread_count(request.user)
    if seen(request) == str(unread):
        return unchanged()
    return render(request, "feedback/partials/bell.html", {"unread_notifications": unread})
