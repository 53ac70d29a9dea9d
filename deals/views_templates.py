"""Deal templates: managers' pages to define them, and the new-deal form prefilled from one."""

from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from deals import services
from deals.models import MAX_EFFORT_DAYS, MAX_OFFSET_DAYS, CommitmentKind, DealTemplate
from handoff.models import Role
from handoff.roles import role_required
from handoff.validators import within_years
from handoff.web.confirm import Confirmation, confirm_page
from handoff.web.errors import domain_errors
from handoff.web.pagination import CappedPaginator

EMPTY_ROWS = 3


class DealTemplateForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)


class TemplateCommitmentForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=[("", "Choose a kind"), *CommitmentKind.choices])
    summary = forms.CharField(label="Summary", max_length=200)
    effort_days = forms.DecimalField(
        label="Typical effort (days)", min_value=0, max_value=MAX_EFFORT_DAYS, decimal_places=1
    )
    offset_days = forms.IntegerField(
        label="Days after the start",
        min_value=0,
        max_value=MAX_OFFSET_DAYS,
        help_text="The promised date is the deal's expected start plus this many days.",
    )


class _Rows(forms.BaseFormSet):
    def kept(self) -> list[dict]:
        return [f.cleaned_data for f in self.forms if f.has_changed() and f.cleaned_data]


TemplateCommitmentFormSet = forms.formset_factory(
    TemplateCommitmentForm, formset=_Rows, extra=0, max_num=100, validate_max=True
)


def _rows(data=None, template: DealTemplate | None = None):
    initial = (
        [
            {k: getattr(c, k) for k in ("kind", "summary", "effort_days", "offset_days")}
            for c in template.commitments.all()
        ]
        if template
        else []
    )
    formset = TemplateCommitmentFormSet(data, initial=initial, prefix="rows")
    formset.extra = EMPTY_ROWS
    return formset


def _back(request: HttpRequest, **kwargs) -> str:
    return reverse("deals:templates")


@login_required
@require_GET
@role_required(Role.MANAGER, Role.ADMIN)
def template_list(request: HttpRequest) -> HttpResponse:
    templates = DealTemplate.objects.select_related("created_by").prefetch_related("commitments")
    page = CappedPaginator(templates, 25).get_page(request.GET.get("page"))
    return render(request, "deals/deal_templates.html", {"page": page})


def _form_page(request: HttpRequest, template: DealTemplate | None) -> HttpResponse:
    initial = {"name": template.name} if template else None
    form = DealTemplateForm(request.POST or None, initial=initial)
    rows = _rows(request.POST or None, template)
    status = 200
    if request.method == "POST":
        if form.is_valid() and rows.is_valid():
            try:
                saved = services.deal_template_save(
                    actor=request.user,
                    template=template,
                    name=form.cleaned_data["name"],
                    commitments=rows.kept(),
                )
                messages.success(request, f"Template “{saved.name}” saved.")
                return redirect("deals:templates")
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
        status = 400
    context = {"form": form, "rows": rows, "template": template}
    return render(request, "deals/deal_template_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@role_required(Role.MANAGER, Role.ADMIN)
@domain_errors(back=_back)
def template_create(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
@role_required(Role.MANAGER, Role.ADMIN)
@domain_errors(back=_back)
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, get_object_or_404(DealTemplate, pk=pk))


def delete_confirmation(template: DealTemplate) -> Confirmation:
    return Confirmation(
        key=f"template-{template.pk}",
        question=f"Delete the template “{template.name}”?",
        url=reverse("deals:template_delete", args=[template.pk]),
        label="Delete template",
        cancel_url=reverse("deals:templates"),
        detail="Deals started from it keep their commitments.",
        css="contrast",
    )


@login_required
@require_http_methods(["GET", "POST"])
@role_required(Role.MANAGER, Role.ADMIN)
@domain_errors(back=_back)
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(DealTemplate, pk=pk)
    if request.method == "GET":
        return confirm_page(request, delete_confirmation(template))
    services.deal_template_delete(actor=request.user, template=template)
    messages.success(request, f"Template “{template.name}” deleted.")
    return redirect("deals:templates")


# The new-deal form, started from a template


def start_date(request: HttpRequest) -> date:
    """?start=YYYY-MM-DD within the date bounds, else today."""
    try:
        day = date.fromisoformat(request.GET.get("start", ""))
        within_years(day)
        return day
    except (ValueError, ValidationError):
        return date.today()


def prefill(request: HttpRequest, form, formset) -> None:
    """With ?template=<id>, the deal form's commitments are the template's, dated from the
    expected start (?start=, else today) plus each offset."""
    template = DealTemplate.objects.filter(pk=_int(request.GET.get("template"))).first()
    if template is None:
        return
    start = start_date(request)
    rows = [
        {
            "kind": c.kind,
            "summary": c.summary,
            "effort_days": c.effort_days,
            "promised_date": start + timedelta(days=c.offset_days),
        }
        for c in template.commitments.all()
    ]
    formset.initial_extra = rows
    formset.extra = len(rows) or formset.extra
    if "start" in request.GET:
        form.initial["expected_start_date"] = start


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 10 else 0


def template_choices() -> list[DealTemplate]:
    return list(DealTemplate.objects.only("pk", "name")[:100])
