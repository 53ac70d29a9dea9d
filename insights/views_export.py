"""The deliverables list as CSV: the page's filter (late, due soon, all open), every row."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from handoff.web.csv import csv_response
from insights.home_deliverables import DUE_CHOICES, DUE_OPEN, deliverables_due

HEADER = [
    "id",
    "project_id",
    "deal",
    "client",
    "pm",
    "kind",
    "summary",
    "promised_date",
    "effort_days",
    "status",
    "delivered_on",
    "slip_days",
]


@login_required
@require_GET
def deliverables_csv(request: HttpRequest) -> HttpResponse:
    """What /home/deliverables/ lists for this user, through the same selector."""
    due = request.GET.get("due", DUE_OPEN)
    if due not in DUE_CHOICES:
        due = DUE_OPEN
    found = deliverables_due(request.user, due).select_related("project__pm")
    rows = (
        [
            d.pk,
            d.project_id,
            d.project.deal.title,
            d.project.deal.client.name,
            d.project.pm.username if d.project.pm else "",
            d.kind,
            d.summary,
            d.promised_date,
            d.effort_days,
            d.status,
            d.delivered_on,
            d.slip_days,
        ]
        for d in found.iterator(chunk_size=1000)
    )
    name = f"deliverables-{due}-{timezone.localdate().isoformat()}.csv"
    return csv_response(name, HEADER, rows)
