"""The project list as CSV: the page's filters, search and sort, every row."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from handoff.web.csv import csv_response
from handoff.web.lists import ListSearchForm
from projects import selectors
from projects.views import PROJECT_COLUMNS, ProjectFilterForm

PROJECT_HEADER = [
    "id",
    "deal_id",
    "deal",
    "client",
    "pm",
    "status",
    "start_date",
    "value",
    "currency",
    "updated_at",
]


@login_required
@require_GET
def project_list_csv(request: HttpRequest) -> HttpResponse:
    """What /projects/ lists with the same query, all pages, through the same selector."""
    form = ProjectFilterForm(request.GET or None, pms=list(selectors.project_manager_names()))
    filters = form.cleaned_data if form.is_valid() else {}
    search = ListSearchForm(request.GET, label="Search")
    projects = (
        selectors.project_list(
            request.user,
            status=filters.get("status") or "",
            pm=filters.get("pm"),
            at_risk=bool(filters.get("at_risk")),
            late=bool(filters.get("late")),
            q=search.text,
        )
        .select_related("deal__client", "pm")
        .order_by(*PROJECT_COLUMNS.order_by(request.GET))
    )
    rows = (
        [
            p.pk,
            p.deal_id,
            p.deal.title,
            p.deal.client.name,
            p.pm.username if p.pm else "",
            p.status,
            p.start_date,
            p.deal.value,
            p.deal.currency,
            p.updated_at,
        ]
        for p in projects.iterator(chunk_size=1000)
    )
    return csv_response(f"projects-{timezone.localdate().isoformat()}.csv", PROJECT_HEADER, rows)
