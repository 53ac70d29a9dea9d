"""Import deals: upload a CSV, see every row's fate, confirm, follow the job, get the report."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from deals import rules, selectors
from deals.import_rows import COLUMNS
from deals.models import Import, RowFate
from deals.services import imports
from deals.tasks import enqueue_import
from handoff.web.csv import csv_response
from handoff.web.errors import domain_errors
from handoff.web.htmx import htmx_partial
from handoff.web.pagination import CappedPaginator

ROWS_PER_PAGE = 100


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, one row per commitment.")
    source = forms.RegexField(
        r"^[a-z0-9][a-z0-9_-]{0,39}\Z",
        initial="csv",
        required=False,
        label="Source",
        help_text="Whose ids the external_id column holds: csv, or your CRM's name.",
        error_messages={"invalid": "Lowercase letters, digits, - and _ only."},
    )


def _check(request: HttpRequest) -> None:
    if not (answer := rules.can_import(request.user)):
        raise PermissionDenied(answer.refusal.message)


def _get(request: HttpRequest, pk: int) -> Import:
    return get_object_or_404(selectors.imports_visible_to(request.user), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    _check(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                deal_import = imports.import_preview(
                    actor=request.user,
                    upload=form.cleaned_data["file"],
                    source=form.cleaned_data["source"] or "csv",
                )
                return redirect("deals:import_detail", pk=deal_import.pk)
            except ValidationError as error:
                for message in error.message_dict.get("file", error.messages):
                    form.add_error("file", message)
        status = 400
    recent = selectors.imports_visible_to(request.user).filter(created_by=request.user)[:10]
    context = {"form": form, "columns": COLUMNS, "recent": recent}
    return render(request, "deals/import.html", context, status=status)


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal_import = _get(request, pk)
    if deal_import.is_active:
        imports.import_resume_if_lost(deal_import=deal_import, enqueue=enqueue_import)
    rows = deal_import.rows.order_by("line")
    fate = request.GET.get("fate", "")
    if fate in RowFate.values:
        rows = rows.filter(fate=fate)
    page = CappedPaginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "deal_import": deal_import,
        "page": page,
        "fate": fate,
        "fates": RowFate.choices,
        "can_confirm": deal_import.status == "previewed"
        and deal_import.created_by_id == request.user.pk,
        "valid_rows": deal_import.total_rows - deal_import.rows.filter(fate=RowFate.ERROR).count(),
    }
    return htmx_partial(request, "deals/import_detail.html", "progress", context)


@login_required
@require_POST
@domain_errors(back=lambda request, **kwargs: reverse("deals:import_detail", args=[kwargs["pk"]]))
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    deal_import = _get(request, pk)
    if deal_import.created_by_id != request.user.pk:
        raise PermissionDenied("Only who uploaded the file confirms it.")
    deal_import = imports.import_confirm(
        deal_import=deal_import, actor=request.user, enqueue=enqueue_import
    )
    if deal_import.status == "done":
        messages.success(request, "Import done.")
    else:
        messages.success(request, "Import queued; this page follows its progress.")
    return redirect("deals:import_detail", pk=deal_import.pk)


@login_required
@require_GET
def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Every row as it was, with its fate, the column at fault and why."""
    deal_import = _get(request, pk)
    rows = deal_import.rows.order_by("line").values_list(
        "line", "cells", "fate", "field", "message", "deal_id"
    )
    header = ["line", *COLUMNS, "fate", "column", "reason", "deal_id"]

    def lines():
        for line, cells, fate, field, message, deal_id in rows.iterator(chunk_size=1000):
            yield [line, *(cells.get(c, "") for c in COLUMNS), fate, field, message, deal_id]

    # Read on the primary: a report fetched the moment its import ends must hold every row.
    return csv_response(f"import-{deal_import.pk}-report.csv", header, lines(), replica=False)
