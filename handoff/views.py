from collections.abc import Mapping

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from deals.models import DealStatus
from deals.selectors import deals_visible_to, has_unanswered_flags, open_escalations, review_queue
from handoff.forms import LoginForm
from handoff.roles import is_manager, is_pm, is_sales
from handoff.security import lockout_response


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class TokenView(ObtainAuthToken):
    """POST username and password, get {"token": …}; locked out as the login page is."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    # ObtainAuthToken names DRF's own parsers; ours bound the nesting of a JSON body.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES

    def post(self, request, *args, **kwargs):
        data = request.data if isinstance(request.data, Mapping) else {}
        username = data.get("username")
        credentials = {"username": username if isinstance(username, str) else ""}
        # DRF answers a refused authentication as bad input; the lockout deserves its own 429.
        if AxesProxyHandler.is_locked(request._request, credentials):
            return lockout_response(request._request, None, credentials)
        response = super().post(request, *args, **kwargs)
        if AxesProxyHandler.is_locked(request._request, credentials):
            return lockout_response(request._request, None, credentials)
        return response


HOME_LIST_SIZE = 5


def _card(label: str, items_qs, url: str, describe) -> dict:
    """One "what needs me now" card: a count, a link and the first few rows.

    Always two queries, so the page costs the same whether a card holds 3 items or 3,000.
    """
    rows = list(items_qs[:HOME_LIST_SIZE])
    return {
        "label": label,
        "count": items_qs.count(),
        "url": url,
        "items": [describe(row) for row in rows],
    }


def _deal_row(deal) -> dict:
    return {"title": deal.title, "url": deal.get_absolute_url(), "note": deal.client.name}


def _round_row(review_round) -> dict:
    deal = review_round.deal
    return {
        "title": deal.title,
        "url": deal.get_absolute_url(),
        "note": f"due {date_format(localtime(review_round.due_at), 'D j M, H:i')}",
        "overdue": review_round.is_overdue,
    }


def _escalation_row(escalation) -> dict:
    return {
        "title": f"{escalation.deal.title}: {escalation.verdict.commitment.summary}",
        "url": reverse("deals:escalations") + f"#escalation-{escalation.pk}",
        "note": f"raised by {escalation.raised_by}",
    }


def needs_me_cards(user) -> list[dict]:
    """What needs this user now, by role."""
    deals_url = reverse("deals:list")
    queue_url = reverse("deals:queue")
    cards = []
    if is_sales(user):
        mine = deals_visible_to(user).filter(owner=user)
        cards += [
            _card(
                "Changes requested",
                has_unanswered_flags(user),
                f"{deals_url}?status={DealStatus.CHANGES_REQUESTED}",
                _deal_row,
            ),
            _card(
                "Drafts",
                mine.filter(status=DealStatus.DRAFT),
                f"{deals_url}?status=draft",
                _deal_row,
            ),
            _card(
                "Signed off, to close",
                mine.filter(status=DealStatus.SIGNED_OFF),
                f"{deals_url}?status={DealStatus.SIGNED_OFF}",
                _deal_row,
            ),
        ]
    if is_pm(user):
        queue = review_queue(user)
        cards += [
            _card("My reviews", queue.filter(reviewer=user), queue_url, _round_row),
            _card("Unclaimed reviews", queue.filter(reviewer__isnull=True), queue_url, _round_row),
            _card(
                "Overdue reviews", queue.filter(due_at__lt=timezone.now()), queue_url, _round_row
            ),
        ]
    if is_manager(user):
        cards += [
            _card(
                "Deals in review",
                deals_visible_to(user).filter(status=DealStatus.IN_REVIEW),
                f"{deals_url}?status={DealStatus.IN_REVIEW}",
                _deal_row,
            ),
            _card(
                "Overdue reviews",
                review_queue(user).filter(due_at__lt=timezone.now()),
                queue_url,
                _round_row,
            ),
            _card(
                "Open escalations",
                open_escalations(),
                reverse("deals:escalations"),
                _escalation_row,
            ),
        ]
    return cards


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "handoff/home.html", {"cards": needs_me_cards(request.user)})


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else None
    return render(request, "403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", {}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the error may have come from them or the database.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render({}), status=500)
