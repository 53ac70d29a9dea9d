"""The deal list and the review queue as CSV: the page's filters, search and sort, every row."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from deals import selectors
from deals.filters import rounds_matching
from deals.views import QUEUE_COLUMNS
from handoff.models import Role
from handoff.roles import role_required
from handoff.web.csv import csv_response
from handoff.web.lists import ListSearchForm

DEAL_HEADER = [
    "id",
    "title",
    "client",
    "owner",
    "status",
    "value",
    "currency",
    "expected_close_date",
    "expected_start_date",
    "commitments",
    "external_source",
    "external_id",
    "updated_at",
]
QUEUE_HEADER = [
    "deal_id",
    "deal",
    "client",
    "owner",
    "round",
    "commitments",
    "submitted_at",
    "due_at",
    "reviewer",
    "awaiting_you",
]


def _stamp() -> str:
    return timezone.localdate().isoformat()


@login_required
@require_GET
def deal_list_csv(request: HttpRequest) -> HttpResponse:
    """What /deals/ lists with the same query, all pages: scoped by the same selector."""
    deals = selectors.deal_list(user=request.user, filters=request.GET).annotate(
        commitment_total=selectors.commitment_count()
    )
    rows = (
        [
            d.pk,
            d.title,
            d.client.name,
            d.owner.username,
            d.status,
            d.value,
            d.currency,
            d.expected_close_date,
            d.expected_start_date,
            d.commitment_total,
            d.external_source,
            d.external_id,
            d.updated_at,
        ]
        for d in deals.iterator(chunk_size=1000)
    )
    return csv_response(f"deals-{_stamp()}.csv", DEAL_HEADER, rows)


@login_required
@require_GET
@role_required(Role.PM, Role.MANAGER, Role.ADMIN)
def queue_csv(request: HttpRequest) -> HttpResponse:
    search = ListSearchForm(request.GET, label="Search the queue")
    rounds = rounds_matching(selectors.review_rounds_waiting(request.user), search.text)
    rounds = rounds.order_by(*QUEUE_COLUMNS.order_by(request.GET))
    rows = (
        [
            r.deal_id,
            r.deal.title,
            r.deal.client.name,
            r.deal.owner.username,
            r.number,
            r.commitment_count,
            r.submitted_at,
            r.due_at,
            r.reviewer.username if r.reviewer else "",
            bool(r.awaiting_you),
        ]
        for r in rounds.iterator(chunk_size=1000)
    )
    return csv_response(f"review-queue-{_stamp()}.csv", QUEUE_HEADER, rows)
