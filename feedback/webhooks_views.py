"""Managers' webhook pages: the endpoints, one endpoint with its delivery log, create, edit,
rotate the secret, turn off and on, delete; redeliver an event (of a webhook or a chat channel)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from feedback import webhooks_services as services
from feedback.webhooks_forms import WebhookForm
from feedback.webhooks_models import ChatChannel, WebhookEndpoint
from feedback.webhooks_selectors import deliveries_of, deliveries_visible_to, endpoints_visible_to
from handoff.web.confirm import Confirmation, confirm_page
from handoff.web.errors import domain_errors
from handoff.web.pagination import CappedPaginator

LOG_PAGE_SIZE = 25
# The secret of an endpoint just made or rotated, shown on its next page view only.
SECRET_SHOWN_ONCE = "webhook_secret_once"  # noqa: S105 (a session key, not a secret)


def _check_manager(request: HttpRequest) -> None:
    if not services.can_manage_webhooks(request.user):
        raise PermissionDenied("Only managers set up webhooks.")


def _endpoint(request: HttpRequest, pk: int) -> WebhookEndpoint:
    _check_manager(request)
    return get_object_or_404(endpoints_visible_to(request.user), pk=pk)


def _list_url(request: HttpRequest | None = None, **kwargs) -> str:
    return reverse("webhooks:list")


def _detail_back(request: HttpRequest, pk: int, **kwargs) -> str:
    return reverse("webhooks:detail", args=[pk])


def log_page(request: HttpRequest, target) -> Page:
    """A page of the target's delivery log, each row with its body as indented JSON."""
    page = CappedPaginator(deliveries_of(target), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    for delivery in page.object_list:
        delivery.pretty_payload = json.dumps(delivery.payload, indent=2, ensure_ascii=False)
    return page


@login_required
@require_http_methods(["GET"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    _check_manager(request)
    endpoints = list(endpoints_visible_to(request.user))
    return render(request, "feedback/webhooks.html", {"endpoints": endpoints})


def _form_page(request, form: WebhookForm, endpoint=None, status: int = 200) -> HttpResponse:
    context = {"form": form, "endpoint": endpoint}
    return render(request, "feedback/webhooks_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_list_url)
def webhook_create(request: HttpRequest) -> HttpResponse:
    _check_manager(request)
    if request.method != "POST":
        return _form_page(request, WebhookForm())
    form = WebhookForm(request.POST)
    if form.is_valid():
        try:
            endpoint = services.webhook_create(actor=request.user, **form.data_for_service())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            request.session[SECRET_SHOWN_ONCE] = {"pk": endpoint.pk, "secret": endpoint.secret}
            messages.success(request, "Webhook added. Copy its secret now: it is shown once.")
            return redirect(endpoint)
    return _form_page(request, form, status=400)


@never_cache
@login_required
@require_http_methods(["GET"])
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    shown = request.session.get(SECRET_SHOWN_ONCE)
    secret = None
    if shown and shown.get("pk") == endpoint.pk:
        secret = request.session.pop(SECRET_SHOWN_ONCE)["secret"]
    context = {
        "endpoint": endpoint,
        "secret": secret,
        "page": log_page(request, endpoint),
        "rotation_until": _rotation_until(endpoint),
        "rotate": _rotate_confirmation(endpoint),
        "delete": _delete_confirmation(endpoint),
    }
    return render(request, "feedback/webhooks_detail.html", context)


def _rotation_until(endpoint: WebhookEndpoint):
    """Until when the previous secret signs too, if it still does."""
    until = endpoint.previous_secret_expires_at
    return until if endpoint.previous_secret and until and until > timezone.now() else None


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_detail_back)
def webhook_edit(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if request.method != "POST":
        return _form_page(request, WebhookForm(endpoint=endpoint), endpoint)
    form = WebhookForm(request.POST, endpoint=endpoint)
    if form.is_valid():
        try:
            services.webhook_update(
                endpoint=endpoint, actor=request.user, **form.data_for_service()
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Webhook saved.")
            return redirect(endpoint)
    return _form_page(request, form, endpoint, status=400)


def _rotate_confirmation(endpoint: WebhookEndpoint) -> Confirmation:
    return Confirmation(
        key="rotate",
        question="Make a new secret?",
        url=reverse("webhooks:rotate", args=[endpoint.pk]),
        label="Make a new secret",
        cancel_url=endpoint.get_absolute_url(),
        detail=(
            "The new secret is shown once. For the next 24 hours each event is signed with "
            "both, so the receiver keeps verifying while you switch it over."
        ),
        opener_css="secondary",
    )


def _delete_confirmation(endpoint: WebhookEndpoint) -> Confirmation:
    return Confirmation(
        key="delete",
        question=f"Delete the webhook to {endpoint.url}?",
        url=reverse("webhooks:delete", args=[endpoint.pk]),
        label="Delete webhook",
        cancel_url=endpoint.get_absolute_url(),
        detail="Nothing more is posted to it, and its delivery log is deleted with it.",
        css="contrast",
        opener_css="secondary",
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_detail_back)
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks (the page without script); POST makes the new secret."""
    endpoint = _endpoint(request, pk)
    if request.method != "POST":
        return confirm_page(request, _rotate_confirmation(endpoint))
    endpoint = services.webhook_rotate_secret(endpoint=endpoint, actor=request.user)
    request.session[SECRET_SHOWN_ONCE] = {"pk": endpoint.pk, "secret": endpoint.secret}
    messages.success(request, "New secret made. Copy it now: it is shown once.")
    return redirect(endpoint)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_detail_back)
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    if request.method != "POST":
        return confirm_page(request, _delete_confirmation(endpoint))
    url = endpoint.url
    services.webhook_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, f"Webhook to {url} deleted.")
    return redirect("webhooks:list")


@login_required
@require_POST
@domain_errors(back=_detail_back)
def webhook_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    """`active=1` turns it on (its URL checked again), `active=0` off."""
    endpoint = _endpoint(request, pk)
    active = request.POST.get("active")
    if active not in {"0", "1"}:
        messages.error(request, "Choose to turn the webhook on or off.")
        return redirect(endpoint)
    services.webhook_set_active(endpoint=endpoint, actor=request.user, active=active == "1")
    if active == "1":
        messages.success(request, "Webhook on: new events are posted to it again.")
    else:
        messages.success(request, "Webhook off: nothing is posted to it until you turn it on.")
    return redirect(endpoint)


def _redeliver_back(request: HttpRequest, delivery_pk: int, **kwargs) -> str:
    delivery = deliveries_visible_to(request.user).filter(pk=delivery_pk).first()
    return delivery.target.get_absolute_url() if delivery else _list_url()


@login_required
@require_POST
@domain_errors(back=_redeliver_back)
def delivery_redeliver(request: HttpRequest, delivery_pk: int) -> HttpResponse:
    """Post the same event (same id) again, to a webhook or a chat channel."""
    _check_manager(request)
    delivery = get_object_or_404(deliveries_visible_to(request.user), pk=delivery_pk)
    services.delivery_redeliver(delivery=delivery, actor=request.user)
    messages.success(request, f"{delivery.get_event_type_display()} queued to be delivered again.")
    return redirect(delivery.target.get_absolute_url())


def settings_section(request: HttpRequest) -> dict | None:
    """The webhooks and team chat section of the settings page, for managers only."""
    if not services.can_manage_webhooks(request.user):
        return None
    endpoints = WebhookEndpoint.objects.values_list("active", flat=True)
    channels = ChatChannel.objects.values_list("active", flat=True)
    endpoint_states, channel_states = list(endpoints), list(channels)
    return {
        "webhooks_count": len(endpoint_states),
        "webhooks_off": endpoint_states.count(False),
        "channels_count": len(channel_states),
        "channels_off": channel_states.count(False),
    }
