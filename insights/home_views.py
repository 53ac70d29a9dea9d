"""The home page ("what needs you now", by role) and the deliverables list its cards link to."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from handoff.roles import is_pm
from handoff.web.pagination import CappedPaginator
from insights.home import home_context
from insights.home_deliverables import DUE_CHOICES, DUE_OPEN, deliverables_due

PAGE_SIZE = 25


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/home.html", home_context(request.user))


@login_required
@require_GET
def deliverables(request: HttpRequest) -> HttpResponse:
    """Open deliverables, late or coming due: a PM's own projects', else those the user sees."""
    due = request.GET.get("due", DUE_OPEN)
    if due not in DUE_CHOICES:
        due = DUE_OPEN
    rows = deliverables_due(request.user, due)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "insights/home_deliverables.html",
        {
            "due": due,
            "choices": DUE_CHOICES,
            "page": page,
            "own_projects": is_pm(request.user),
        },
    )
