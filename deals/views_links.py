"""The page an email's "Approve" link opens: what it will approve (GET), and the approval (POST)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from deals.approval_links import LinkRefused, link_approve, link_open
from handoff.templatetags import formats


@login_required
@require_http_methods(["GET", "POST"])
def approve_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET changes nothing (mail scanners fetch links); POST approves, all listed or none."""
    try:
        if request.method == "POST":
            link = link_approve(user=request.user, token=token)
            approved = formats.count(link.pending, "commitment")
            messages.success(request, f"Approved {approved} on {link.deal}.")
            return redirect(link.deal)
        link = link_open(user=request.user, token=token)
    except LinkRefused as refusal:
        return render(
            request, "deals/approve_link_refused.html", {"refusal": refusal}, status=refusal.status
        )
    return render(request, "deals/approve_link.html", {"link": link, "token": token})
