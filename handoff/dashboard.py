"""Pages for managers: the alignment dashboard, its CSV exports, the weekly sync agenda,
shared goals; and every rep's and PM's scorecard. Figures come from handoff.metrics."""

import csv
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from handoff import metrics
from handoff.models import Role, SharedGoal, Team, User, quarter_of
from handoff.roles import SEES_EVERYTHING, is_manager, role_required

MANAGERS = tuple(SEES_EVERYTHING)
# Wider ranges stop being a glance and start being a history scan.
MAX_RANGE_DAYS = 731


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None) -> None:
        # A date input takes ISO dates whatever the locale shows.
        super().__init__(attrs, format="%Y-%m-%d")


class RangeForm(forms.Form):
    """from / to (inclusive, default the last 90 days); bad input gives field errors."""

    def __init__(self, data=None, *, today: date | None = None, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.today = today or timezone.localdate()
        start, end = metrics.default_range(self.today)
        self.fields["from"] = forms.DateField(
            label="From", required=False, widget=DateInput, initial=start
        )
        self.fields["to"] = forms.DateField(
            label="To", required=False, widget=DateInput, initial=end
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        default_end = metrics.default_range(self.today)[1]
        end = cleaned.get("to") or default_end
        start = cleaned.get("from") or (end - timedelta(days=metrics.DEFAULT_RANGE_DAYS - 1))
        if "from" in self.errors or "to" in self.errors:
            return cleaned
        if start > end:
            self.add_error("to", "The end of the range must not be before its start.")
        elif (end - start).days + 1 > MAX_RANGE_DAYS:
            self.add_error("from", f"Choose a range of at most {MAX_RANGE_DAYS} days.")
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def range(self) -> tuple[date, date]:
        """The valid range, or the default one when the input was wrong."""
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return metrics.default_range(self.today)


class FilterForm(RangeForm):
    def __init__(self, data=None, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.fields["team"] = forms.ModelChoiceField(
            label="Team",
            queryset=Team.objects.order_by("name"),
            required=False,
            empty_label="Both teams",
        )

    def window(self) -> metrics.Window:
        start, end = self.range()
        team = self.cleaned_data.get("team") if self.is_valid() else None
        return metrics.window_for(start, end, team)


def filter_query(w: metrics.Window) -> str:
    query = f"from={w.start.isoformat()}&to={w.end.isoformat()}"
    return query + (f"&team={w.team.pk}" if w.team else "")


@login_required
@role_required(*MANAGERS)
def dashboard(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    w = form.window()
    result = metrics.stored_alignment(w)
    query = filter_query(w)
    template = "handoff/dashboard.html#results" if request.htmx else "handoff/dashboard.html"
    return render(
        request,
        template,
        {
            "form": form,
            "window": w,
            "figures": result.figures,
            "tables": result.tables,
            "computed_at": result.computed_at,
            "refresh_minutes": max(1, round(settings.METRICS_REFRESH_SECONDS / 60)),
            "goals": metrics.current_goals(),
            "query": query,
            "figures_csv": f"{reverse('dashboard-export', args=['figures'])}?{query}",
        },
    )


@login_required
@role_required(*MANAGERS)
@require_http_methods(["POST"])
def recompute(request: HttpRequest) -> HttpResponse:
    """Recompute the figures of one range now instead of waiting for the scheduled job."""
    form = FilterForm(request.POST)
    w = form.window()
    result = metrics.stored_alignment(w, recompute=True)
    messages.success(request, f"Figures recalculated in {result.seconds:.1f} s.")
    return redirect(f"{reverse('dashboard')}?{filter_query(w)}")


def _csv_cell(value: Any, unit: str) -> Any:
    if value is None:
        return ""
    if unit == "percent":
        return round(float(value) * 100, 1)
    if isinstance(value, Decimal | float):
        return round(float(value), 2)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet must not run a name as a formula
    return value


@login_required
@role_required(*MANAGERS)
def export(request: HttpRequest, table: str) -> HttpResponse:
    if table not in metrics.TABLE_KEYS:
        raise Http404("No such table.")
    form = FilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    w = form.window()
    found = metrics.table_for_export(w, table)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{table}-{w.start.isoformat()}-{w.end.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            label + (" (%)" if found.units.get(key) == "percent" else "")
            for key, label in found.columns
        ]
    )
    for row in found.rows:
        writer.writerow(
            [_csv_cell(row.get(key), found.units.get(key, "text")) for key, _ in found.columns]
        )
    return response


@login_required
@role_required(*MANAGERS)
def agenda(request: HttpRequest) -> HttpResponse:
    return render(request, "handoff/agenda.html", {"agenda": metrics.sync_agenda()})


# Shared goals


class GoalForm(forms.ModelForm):
    class Meta:
        model = SharedGoal
        fields = ["quarter", "metric", "comparison", "target"]
        labels = {"target": "Target"}
        help_texts = {
            "quarter": "For example 2026-Q4.",
            "target": "Rates in percent (90 means 90 %), turnaround in working days.",
        }

    def clean_target(self) -> Decimal:
        target = self.cleaned_data["target"]
        metric = self.data.get("metric")
        if target is not None and metric != "median_review_turnaround_days" and target > 100:
            raise forms.ValidationError("A rate cannot be above 100 %.")
        return target


@login_required
@role_required(*MANAGERS)
def goals(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    quarter = quarter_of(today)
    all_goals = list(SharedGoal.objects.select_related("created_by"))
    current = metrics.goal_progress([g for g in all_goals if g.quarter == quarter], today)
    return render(
        request,
        "handoff/goals.html",
        {
            "quarter": quarter,
            "current": current,
            "others": [g for g in all_goals if g.quarter != quarter],
        },
    )


@login_required
@role_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    goal = get_object_or_404(SharedGoal, pk=pk) if pk else None
    initial = {} if goal else {"quarter": quarter_of(timezone.localdate())}
    form = GoalForm(request.POST or None, instance=goal, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        if goal is None:
            saved.created_by = request.user
        saved.updated_at = timezone.now()
        saved.save()
        messages.success(request, f"Goal saved: {saved}.")
        return redirect("dashboard-goals")
    return render(request, "handoff/goals_form.html", {"form": form, "goal": goal})


@login_required
@role_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def goal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(SharedGoal, pk=pk)
    if request.method == "POST":
        goal.delete()
        messages.success(request, f"Goal deleted: {goal}.")
        return redirect("dashboard-goals")
    return render(request, "handoff/goals_confirm_delete.html", {"goal": goal})


# Scorecards


def can_see_scorecard(viewer: User, person: User) -> bool:
    """Managers see everyone's; a rep or PM sees their own and their teammates'."""
    if is_manager(viewer) or viewer.pk == person.pk:
        return True
    return Team.objects.filter(members=viewer).filter(pk__in=person.teams.values("pk")).exists()


@login_required
def scorecard(request: HttpRequest, username: str) -> HttpResponse:
    person = get_object_or_404(
        User, username=username, role__in=(Role.SALES, Role.PM), is_active=True
    )
    if not can_see_scorecard(request.user, person):
        raise PermissionDenied("You can see your own scorecard and your teammates'.")
    form = RangeForm(request.GET or None)
    start, end = form.range()
    return render(
        request,
        "handoff/scorecard.html",
        {"form": form, "card": metrics.scorecard(person, start, end), "start": start, "end": end},
    )
