"""The feedback inbox and the notifications as CSV: the page's tab, search and sort, every row."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from feedback import selectors
from feedback.views import INBOX_COLUMNS, NOTIFICATION_COLUMNS
from handoff.web.csv import csv_response
from handoff.web.lists import ListSearchForm

NOTE_HEADER = [
    "id",
    "created_at",
    "direction",
    "topic",
    "author",
    "recipient",
    "deal_id",
    "deal",
    "body",
    "acknowledged_at",
]
NOTIFICATION_HEADER = ["id", "created_at", "kind", "text", "actor", "read_at", "url"]


@login_required
@require_GET
def inbox_csv(request: HttpRequest) -> HttpResponse:
    """The notes of the inbox's tab that its reader may see: the same selector as the page."""
    tab = request.GET.get("tab", "to_me")
    if tab not in selectors.INBOX_TABS:
        tab = "to_me"
    search = ListSearchForm(request.GET, label="Search notes")
    notes = (
        selectors.inbox(request.user, tab, q=search.text)
        .select_related("author", "recipient", "deal")
        .order_by(*INBOX_COLUMNS.order_by(request.GET))
    )
    rows = (
        [
            n.pk,
            n.created_at,
            n.direction,
            n.topic,
            n.author.username,
            n.recipient.username if n.recipient else "",
            n.deal_id,
            n.deal.title if n.deal else "",
            n.body,
            n.acknowledged_at,
        ]
        for n in notes.iterator(chunk_size=1000)
    )
    return csv_response(f"feedback-{tab}-{timezone.localdate().isoformat()}.csv", NOTE_HEADER, rows)


@login_required
@require_GET
def notifications_csv(request: HttpRequest) -> HttpResponse:
    search = ListSearchForm(request.GET, label="Search notifications")
    found = selectors.notifications_for(request.user, q=search.text).order_by(
        *NOTIFICATION_COLUMNS.order_by(request.GET)
    )
    rows = (
        [
            n.pk,
            n.created_at,
            n.kind,
            n.text,
            n.actor.username if n.actor else "",
            n.read_at,
            n.url,
        ]
        for n in found.iterator(chunk_size=1000)
    )
    name = f"notifications-{timezone.localdate().isoformat()}.csv"
    return csv_response(name, NOTIFICATION_HEADER, rows)
