"""Managers' team chat pages: each team's channels, one channel with its delivery log, add,
edit, turn off and on, delete."""

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from feedback import chat_services as services
from feedback.webhooks_forms import ChatChannelForm
from feedback.webhooks_models import ChatChannel
from feedback.webhooks_selectors import channels_visible_to
from feedback.webhooks_services import can_manage_webhooks
from feedback.webhooks_views import log_page
from handoff.models import Team
from handoff.web.confirm import Confirmation, confirm_page
from handoff.web.errors import domain_errors


def _check_manager(request: HttpRequest) -> None:
    if not can_manage_webhooks(request.user):
        raise PermissionDenied("Only managers set up team chat.")


def _channel(request: HttpRequest, pk: int) -> ChatChannel:
    _check_manager(request)
    return get_object_or_404(channels_visible_to(request.user), pk=pk)


def _list_url(request: HttpRequest | None = None, **kwargs) -> str:
    return reverse("chat:list")


def _detail_back(request: HttpRequest, pk: int, **kwargs) -> str:
    return reverse("chat:detail", args=[pk])


@login_required
@require_http_methods(["GET"])
def channel_list(request: HttpRequest) -> HttpResponse:
    """Every team, with its channels; a team without one says so."""
    _check_manager(request)
    channels = list(channels_visible_to(request.user))
    by_team = {team: list(rows) for team, rows in groupby(channels, key=lambda c: c.team)}
    teams = [
        {"team": team, "channels": by_team.get(team, [])} for team in Team.objects.order_by("name")
    ]
    return render(request, "feedback/chat.html", {"teams": teams})


def _form_page(request, form: ChatChannelForm, channel=None, status: int = 200) -> HttpResponse:
    context = {"form": form, "channel": channel}
    return render(request, "feedback/chat_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_list_url)
def channel_create(request: HttpRequest) -> HttpResponse:
    _check_manager(request)
    if request.method != "POST":
        return _form_page(request, ChatChannelForm(initial={"team": request.GET.get("team")}))
    form = ChatChannelForm(request.POST)
    if form.is_valid():
        try:
            channel = services.chat_channel_create(actor=request.user, **form.data_for_service())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"{channel} added: its events are posted there from now on.")
            return redirect(channel)
    return _form_page(request, form, status=400)


@login_required
@require_http_methods(["GET"])
def channel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    context = {
        "channel": channel,
        "page": log_page(request, channel),
        "delete": _delete_confirmation(channel),
    }
    return render(request, "feedback/chat_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_detail_back)
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    if request.method != "POST":
        return _form_page(request, ChatChannelForm(channel=channel), channel)
    form = ChatChannelForm(request.POST, channel=channel)
    if form.is_valid():
        try:
            services.chat_channel_update(
                channel=channel, actor=request.user, **form.data_for_service()
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Channel saved.")
            return redirect(channel)
    return _form_page(request, form, channel, status=400)


def _delete_confirmation(channel: ChatChannel) -> Confirmation:
    return Confirmation(
        key="delete",
        question=f"Delete {channel}?",
        url=reverse("chat:delete", args=[channel.pk]),
        label="Delete channel",
        cancel_url=channel.get_absolute_url(),
        detail=f"{channel.team} hears nothing more there, and its delivery log is deleted.",
        css="contrast",
        opener_css="secondary",
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_detail_back)
def channel_delete(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    if request.method != "POST":
        return confirm_page(request, _delete_confirmation(channel))
    name = str(channel)
    services.chat_channel_delete(channel=channel, actor=request.user)
    messages.success(request, f"{name} deleted.")
    return redirect("chat:list")


@login_required
@require_POST
@domain_errors(back=_detail_back)
def channel_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _channel(request, pk)
    active = request.POST.get("active")
    if active not in {"0", "1"}:
        messages.error(request, "Choose to turn the channel on or off.")
        return redirect(channel)
    services.chat_channel_set_active(channel=channel, actor=request.user, active=active == "1")
    state = "on: new events are posted there again" if active == "1" else "off"
    messages.success(request, f"{channel} is {state}.")
    return redirect(channel)
