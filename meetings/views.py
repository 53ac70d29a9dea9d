"""The weekly sync pages: the meetings and their minutes, running one, the action items."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from handoff.models import User
from handoff.roles import is_manager
from handoff.web.confirm import confirm_page
from handoff.web.errors import domain_errors
from handoff.web.pagination import CappedPaginator
from meetings import confirmations, minutes, rules, selectors, services
from meetings.forms import (
    ActionItemFilterForm,
    ActionItemForm,
    AttendeesForm,
    CloseForm,
    DecisionForm,
    MeetingForm,
    MeetingSearchForm,
)
from meetings.models import ActionItemStatus, MeetingStatus
from meetings.services.decisions import ItemActionInput

PAGE_SIZE = 25


@login_required
@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    form = MeetingSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    rows = selectors.meeting_list(user=request.user, q=q)
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "form": form,
            "q": q,
            "page": page,
            "can_create": rules.can_create_meeting(request.user),
            "upcoming": list(
                selectors.meetings_visible_to(request.user)
                .exclude(status=MeetingStatus.CLOSED)
                .order_by("held_on", "id")[:5]
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def meeting_create(request: HttpRequest) -> HttpResponse:
    if not rules.can_create_meeting(request.user):
        raise PermissionDenied("Only a manager can call a meeting.")
    form = MeetingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Meeting ready: check who attends, then start it.")
            return redirect(meeting)
    return render(request, "meetings/meeting_form.html", {"form": form})


def _item_position(request: HttpRequest, count: int) -> int:
    try:
        position = int(request.GET.get("item", "1"))
    except ValueError:
        position = 1
    return min(max(position, 1), max(count, 1))


@login_required
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Before: attendees and Start. Running: one item at a time. After: the minutes."""
    meeting = selectors.meeting_get_for_user(request.user, pk)
    can_run = rules.can_run(request.user, meeting)
    context = {
        "meeting": meeting,
        "can_run": can_run and not meeting.is_closed,
        **minutes.minutes_context(meeting, request.user),
    }
    if not meeting.is_closed and can_run:
        context["attendees_form"] = AttendeesForm(
            initial={"attendees": [a.user_id for a in context["attendees"]]}
        )
    if meeting.is_scheduled:
        context["carried"] = meeting.carry_overs.count()
        context["confirm_start"] = confirmations.start(meeting)
    if meeting.is_running:
        items = [row for section in context["sections"] for row in section["items"]]
        position = _item_position(request, len(items))
        current = items[position - 1] if items else None
        context.update(
            {
                "items": items,
                "position": position,
                "current": current,
                "previous_position": position - 1 if position > 1 else None,
                "next_position": position + 1 if position < len(items) else None,
            }
        )
        if current and can_run:
            item = current["item"]
            decision = current["decision"]
            context["decision_form"] = DecisionForm(
                item=item, initial={"note": decision.note if decision else ""}
            )
            context["action_form"] = ActionItemForm(
                user=request.user, meeting=meeting, initial={"agenda_item": item.pk}
            )
        elif can_run:
            context["action_form"] = ActionItemForm(user=request.user, meeting=meeting)
    return render(request, "meetings/meeting_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def meeting_start(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks (without script); POST freezes the agenda and opens the meeting."""
    meeting = selectors.meeting_get_for_user(request.user, pk)
    if not rules.can_run(request.user, meeting):
        raise PermissionDenied("Only the meeting's attendees and managers can start it.")
    if request.method == "GET":
        if not meeting.is_scheduled:
            return redirect(meeting)
        return confirm_page(request, confirmations.start(meeting))
    services.meeting_start(meeting=meeting, actor=request.user)
    messages.success(request, "The meeting has started: the agenda is frozen as it stood.")
    return redirect(meeting)


@login_required
@require_POST
@domain_errors
def meeting_attendees(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for_user(request.user, pk)
    if not rules.can_run(request.user, meeting):
        raise PermissionDenied("Only the meeting's attendees and managers can change who attends.")
    form = AttendeesForm(request.POST)
    if form.is_valid():
        services.attendees_set(
            meeting=meeting, actor=request.user, users=list(form.cleaned_data["attendees"])
        )
        messages.success(request, "Attendees saved.")
    else:
        messages.error(request, " ".join(form.errors.get("attendees", ["Check the attendees."])))
    return redirect(meeting)


def _item_url(meeting, position: int) -> str:
    return f"{meeting.get_absolute_url()}?item={position}"


@login_required
@require_POST
@domain_errors
def item_decide(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for_user(request.user, pk)
    item = get_object_or_404(
        selectors.agenda_items_visible_to(request.user).filter(meeting=meeting), pk=item_pk
    )
    if not rules.can_run(request.user, meeting):
        raise PermissionDenied("Only the meeting's attendees and managers can decide its items.")
    form = DecisionForm(request.POST, item=item)
    if form.is_valid():
        data = form.cleaned_data
        action = ItemActionInput(
            reviewer=data.get("reviewer"),
            escalation_decision=data.get("escalation_decision", ""),
            deliverable=data.get("deliverable"),
            acknowledge=bool(data.get("acknowledge")),
            close_action_item=bool(data.get("close_action_item")),
        )
        try:
            decision = services.item_decide(
                item=item, actor=request.user, note=data["note"], action=action
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            done = f" {decision.action_taken}." if decision.action_taken else ""
            messages.success(request, f"Decided item {item.position}.{done}")
            return redirect(_item_url(meeting, min(item.position + 1, _count(meeting, request))))
    return _rerender(request, meeting, item, decision_form=form)


def _count(meeting, request) -> int:
    return selectors.agenda_items_visible_to(request.user).filter(meeting=meeting).count()


def _rerender(request, meeting, item, **forms) -> HttpResponse:
    """The running meeting at this item, with the form that failed and its input."""
    context = {
        "meeting": meeting,
        "can_run": True,
        **minutes.minutes_context(meeting, request.user),
    }
    items = [row for section in context["sections"] for row in section["items"]]
    position = next(
        (i for i, row in enumerate(items, start=1) if item and row["item"].pk == item.pk), 1
    )
    current = items[position - 1] if items else None
    context.update(
        {
            "items": items,
            "position": position,
            "current": current,
            "previous_position": position - 1 if position > 1 else None,
            "next_position": position + 1 if position < len(items) else None,
            "decision_form": forms.get("decision_form")
            or (DecisionForm(item=current["item"]) if current else None),
            "action_form": forms.get("action_form")
            or ActionItemForm(
                user=request.user,
                meeting=meeting,
                initial={"agenda_item": current["item"].pk} if current else {},
            ),
        }
    )
    return render(request, "meetings/meeting_detail.html", context, status=400)


@login_required
@require_POST
@domain_errors
def action_item_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for_user(request.user, pk)
    if not rules.can_run(request.user, meeting):
        raise PermissionDenied("Only the meeting's attendees and managers can add action items.")
    form = ActionItemForm(request.POST, user=request.user, meeting=meeting)
    item = None
    if form.is_valid():
        data = dict(form.cleaned_data)
        item_pk = data.pop("agenda_item")
        if item_pk:
            item = (
                selectors.agenda_items_visible_to(request.user)
                .filter(meeting=meeting, pk=item_pk)
                .first()
            )
            if item is None:
                raise Http404("No such agenda item.")
        try:
            action = services.action_item_add(
                meeting=meeting, actor=request.user, agenda_item=item, **data
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request, f"Action item added for {action.owner.display_name}: {action.what}"
            )
            return redirect(_item_url(meeting, item.position) if item else meeting)
    return _rerender(request, meeting, item, action_form=form)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def meeting_close(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: who attended, and what closing does; POST closes and sends the minutes."""
    meeting = selectors.meeting_get_for_user(request.user, pk)
    if not rules.can_run(request.user, meeting):
        raise PermissionDenied("Only the meeting's attendees and managers can close it.")
    if not meeting.is_running:
        messages.info(request, "Only a meeting in progress can be closed.")
        return redirect(meeting)
    attendees = selectors.attendees_of(meeting)
    invited = User.objects.filter(pk__in=[a.user_id for a in attendees]).order_by("username")
    form = CloseForm(
        request.POST if request.method == "POST" else None,
        invited=invited,
        initial={"present": [a.user_id for a in attendees]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_close(
                meeting=meeting, actor=request.user, present=list(form.cleaned_data["present"])
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(
                request, f"Meeting closed; the minutes go to {meeting.minutes_sent_to} attendees."
            )
            return redirect(meeting)
    return render(
        request,
        "meetings/meeting_close.html",
        {"meeting": meeting, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_GET
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable minutes."""
    meeting = selectors.meeting_get_for_user(request.user, pk)
    return render(
        request,
        "meetings/minutes.html",
        {"meeting": meeting, **minutes.minutes_context(meeting, request.user)},
    )


@login_required
@require_GET
def meeting_minutes_markdown(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get_for_user(request.user, pk)
    response = HttpResponse(
        minutes.minutes_markdown(meeting, request.user), content_type="text/markdown; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="minutes-{meeting.pk}.md"'
    return response


@login_required
@require_GET
def action_items(request: HttpRequest) -> HttpResponse:
    query = {"owner": "me", "status": ActionItemStatus.OPEN, **request.GET.dict()}
    form = ActionItemFilterForm(query)
    data = form.cleaned_data if form.is_valid() else {"owner": "me", "status": "open"}
    owner, status = data.get("owner", "me"), data.get("status", "")
    rows = selectors.action_item_list(
        user=request.user,
        owner=request.user.pk if owner == "me" else None,
        status=status if status != "all" else "",
        due=data.get("due", ""),
    )
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "meetings/action_items.html",
        {"form": form, "page": page, "manager": is_manager(request.user)},
    )


@login_required
@require_POST
@domain_errors
def action_item_status(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.action_item_get_for_user(request.user, pk)
    status = request.POST.get("status", "")
    services.action_item_set_status(item=item, actor=request.user, status=status)
    messages.success(
        request,
        f"Marked done: {item.what}"
        if status == ActionItemStatus.DONE
        else f"Reopened: {item.what}",
    )
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect(reverse("meetings:action_items") + f"#action-item-{item.pk}")
