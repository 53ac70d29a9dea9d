"""The insights pages: the alignment dashboard, its CSV exports, the weekly sync agenda and
shared goals for managers; every rep's and PM's scorecard."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from handoff.models import Role, SharedGoal, User, quarter_of
from handoff.roles import role_required
from handoff.web.htmx import htmx_partial
from insights.exports import write_csv
from insights.extensions import dashboard_panels
from insights.figures.agenda import sync_agenda
from insights.figures.alignment import TABLE_KEYS, stored_alignment, table_for_export
from insights.figures.goals import current_goals, goal_progress
from insights.figures.pipeline import PIPELINE_TABLE, pipeline_from
from insights.figures.results import GoalProgress
from insights.figures.scorecards import scorecard as person_scorecard
from insights.figures.trends import previous_window, stored_previous_figures
from insights.figures.window import Window
from insights.forms import FilterForm, GoalForm, RangeForm
from insights.rules import MANAGERS, can_see_scorecard
from insights.selectors import capacity_heat_map
from insights.views_dashboard import headline, panels


def filter_query(w: Window) -> str:
    query = f"from={w.start.isoformat()}&to={w.end.isoformat()}"
    return query + (f"&team={w.team.pk}" if w.team else "")


@login_required
@role_required(*MANAGERS)
def dashboard(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    w = form.window()
    result = stored_alignment(w)
    query = filter_query(w)
    return htmx_partial(
        request,
        "insights/dashboard.html",
        "results",
        {
            "form": form,
            "window": w,
            "figures": result.figures,
            "tables": result.tables,
            "headline": headline(result, stored_previous_figures(w)),
            "pipeline": pipeline_from(result.table(PIPELINE_TABLE), w),
            "previous": previous_window(w),
            "panels": panels(result),
            "heat_map": capacity_heat_map(w),
            "computed_at": result.computed_at,
            "refresh_minutes": max(1, round(settings.METRICS_REFRESH_SECONDS / 60)),
            "goals": current_goals(),
            "extra_panels": dashboard_panels(w),
            "query": query,
            "figures_csv": f"{reverse('dashboard-export', args=['figures'])}?{query}",
        },
    )


@login_required
@role_required(*MANAGERS)
def export(request: HttpRequest, table: str) -> HttpResponse:
    if table not in TABLE_KEYS:
        raise Http404("No such table.")
    form = FilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    w = form.window()
    found = table_for_export(w, table)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{table}-{w.start.isoformat()}-{w.end.isoformat()}.csv"'
    )
    write_csv(response, found)
    return response


@login_required
@role_required(*MANAGERS)
def agenda(request: HttpRequest) -> HttpResponse:
    return render(request, "insights/agenda.html", {"agenda": sync_agenda()})


# Shared goals


@login_required
@role_required(*MANAGERS)
def goals(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    quarter = quarter_of(today)
    all_goals = list(SharedGoal.objects.select_related("created_by"))
    current = goal_progress([g for g in all_goals if g.quarter == quarter], today)
    return render(
        request,
        "insights/goals.html",
        {
            "quarter": quarter,
            "current": current,
            # Unmeasured: only their targets are shown, written as the current ones are.
            "others": [GoalProgress(g, None) for g in all_goals if g.quarter != quarter],
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
    return render(request, "insights/goals_form.html", {"form": form, "goal": goal})


@login_required
@role_required(*MANAGERS)
@require_http_methods(["GET", "POST"])
def goal_delete(request: HttpRequest, pk: int) -> HttpResponse:
    goal = get_object_or_404(SharedGoal, pk=pk)
    if request.method == "POST":
        goal.delete()
        messages.success(request, f"Goal deleted: {goal}.")
        return redirect("dashboard-goals")
    return render(request, "insights/goals_confirm_delete.html", {"goal": goal})


# Scorecards


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
        "insights/scorecard.html",
        {"form": form, "card": person_scorecard(person, start, end), "start": start, "end": end},
    )
