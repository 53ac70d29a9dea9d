from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from feedback import lessons, rules, selectors, services
from feedback.forms import NoteForm, PreferencesForm, ReplyForm
from feedback.models import Topic
from handoff.templatetags import formats
from handoff.web.errors import domain_errors
from handoff.web.lists import DESCENDING, Column, ListSearchForm, Sorting
from handoff.web.pagination import CappedPaginator
from handoff.web.settings_page import settings_page

PAGE_SIZE = 20


def _note_page(request: HttpRequest, pk: int) -> str:
    return reverse("feedback:note", args=[pk])


def _page(request: HttpRequest, queryset):
    return CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


INBOX_COLUMNS = Sorting(
    Column("topic", "Topic", ("topic", "-created_at", "-id")),
    Column("from", "From", ("author__first_name", "author__last_name", "author__username", "id")),
    Column("written", "Written", ("-created_at", "-id"), first=DESCENDING),
    default="written",
)
NOTIFICATION_COLUMNS = Sorting(
    Column("from", "From", ("actor__first_name", "actor__last_name", "actor__username", "id")),
    Column("received", "Received", ("-created_at", "-id"), first=DESCENDING),
    default="received",
)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "to_me")
    if tab not in selectors.INBOX_TABS:
        tab = "to_me"
    search = ListSearchForm(request.GET, label="Search notes", placeholder="Text, deal or promise")
    notes = selectors.inbox(request.user, tab, q=search.text)
    page = _page(request, notes.order_by(*INBOX_COLUMNS.order_by(request.GET)))
    return render(
        request,
        "feedback/inbox.html",
        {
            "tab": tab,
            "tabs": selectors.INBOX_TABS,
            "page": page,
            "search": search,
            "headers": INBOX_COLUMNS.headers(request.GET),
            "can_write": bool(rules.directions_for(request.user)),
        },
    )


def _initial_from_query(request: HttpRequest, form_fields) -> dict:
    initial = {k: v for k, v in request.GET.items() if k in form_fields and v}
    if initial.get("topic") not in Topic.values:
        initial.pop("topic", None)
    return initial


@login_required
def note_new(request: HttpRequest) -> HttpResponse:
    if not rules.directions_for(request.user):
        raise PermissionDenied("Your role cannot write feedback notes.")
    if request.method == "POST":
        form = NoteForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                note = services.note_create(
                    author=request.user,
                    direction=data["direction"],
                    topic=data["topic"],
                    body=data["body"],
                    recipient=data["recipient"],
                    deal=data["deal"],
                    commitment=data["commitment"],
                    project=data["project"],
                )
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, "Your note was sent.")
                return redirect(note)
    else:
        form = NoteForm(
            initial=_initial_from_query(request, NoteForm.base_fields), user=request.user
        )
    return render(request, "feedback/note_form.html", {"form": form})


@login_required
@require_GET
def note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    note = selectors.note_get_for_user(request.user, pk)
    return render(
        request,
        "feedback/note_detail.html",
        {
            "note": note,
            "can_answer": rules.can_answer(note, request.user),
            "reply_form": ReplyForm(),
        },
    )


@login_required
@require_POST
@domain_errors(back=_note_page)
def note_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    note = selectors.note_get_for_user(request.user, pk)
    services.note_acknowledge(note=note, actor=request.user)
    messages.success(request, "Acknowledged.")
    return redirect(note)


@login_required
@require_POST
@domain_errors(back=_note_page)
def note_reply(request: HttpRequest, pk: int) -> HttpResponse:
    note = selectors.note_get_for_user(request.user, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.note_reply(note=note, actor=request.user, reply=form.cleaned_data["reply"])
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Your reply was sent.")
            return redirect(note)
    if not rules.can_answer(note, request.user):
        raise PermissionDenied("Only the people this note was written to can reply.")
    return render(
        request,
        "feedback/note_detail.html",
        {"note": note, "can_answer": True, "reply_form": form},
        status=400,
    )


# Notifications


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    search = ListSearchForm(request.GET, label="Search notifications")
    found = selectors.notifications_for(request.user, q=search.text)
    page = _page(request, found.order_by(*NOTIFICATION_COLUMNS.order_by(request.GET)))
    return render(
        request,
        "feedback/notifications.html",
        {"page": page, "search": search, "headers": NOTIFICATION_COLUMNS.headers(request.GET)},
    )


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification: it is read once opened."""
    notification = selectors.notification_get_for_user(request.user, pk)
    services.notification_mark_read(notification=notification, user=request.user)
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = reverse("feedback:notifications")
    return redirect(target)


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = selectors.notification_get_for_user(request.user, pk)
    services.notification_mark_read(notification=notification, user=request.user)
    return redirect(_back(request))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    marked = services.notifications_mark_all_read(user=request.user)
    messages.success(request, f"Marked {formats.count(marked, 'notification')} as read.")
    return redirect(_back(request))


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _back(request: HttpRequest) -> str:
    return _next(request, reverse("feedback:notifications"))


@login_required
@require_GET
def bell(request: HttpRequest) -> HttpResponse:
    """The unread badge alone, polled by htmx from the navigation."""
    return render(
        request,
        "feedback/partials/bell.html",
        {"unread_notifications": selectors.unread_count(request.user)},
    )


# Lessons in context


@login_required
@require_GET
def kind_lessons(request: HttpRequest) -> HttpResponse:
    # The deal form's Kind select is named per commitment row, e.g. "commitments-0-kind".
    kind = request.GET.get("kind") or next(
        (value for name, value in request.GET.items() if name.endswith("-kind")), ""
    )
    return render(
        request, "feedback/partials/lessons.html", {"lessons": lessons.for_kind(request.user, kind)}
    )


# Preferences


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Saves the settings page's notification section; the preferences live on that one page."""
    settings_section = reverse("settings") + "#notifications"
    if request.method != "POST":
        return redirect(settings_section)
    form = PreferencesForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.preferences_update(
                user=request.user,
                digest_frequency=form.cleaned_data["digest_frequency"],
                email_preferences=form.email_preferences(),
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Your notification preferences were saved.")
            return redirect(_next(request, settings_section))
    return settings_page(request, preferences_form=form)


def preferences_section(request: HttpRequest) -> dict:
    """The notification section of the settings page."""
    return {"preferences_form": PreferencesForm(user=request.user)}
