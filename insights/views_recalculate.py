"""Recalculate now on the dashboard: the POST that queues the job and the progress it polls."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.views.decorators.http import require_GET, require_POST

from handoff.roles import role_required
from insights import recalculate, tasks
from insights.figures.window import Window
from insights.forms import FilterForm
from insights.rules import MANAGERS
from insights.views import filter_query

PROGRESS = "insights/partials/recalculate.html#progress"


def _context(w: Window, job: recalculate.Job | None) -> dict:
    return {
        "window": w,
        "job": job,
        "query": filter_query(w),
        "refresh_minutes": max(1, round(settings.METRICS_REFRESH_SECONDS / 60)),
    }


def _dashboard(w: Window) -> str:
    return f"{reverse('dashboard')}?{filter_query(w)}"


def _clock(moment) -> str:
    return formats.time_format(timezone.localtime(moment), "H:i")


@login_required
@role_required(*MANAGERS)
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    """Queue a recalculation of the range shown; htmx gets the progress block that polls."""
    w = FilterForm(request.POST).window()
    recalculate.recalculation_start(
        window=w, actor=request.user, enqueue=tasks.enqueue_recalculation
    )
    # Read again: without a broker (tests, eager mode) the job has already run by now.
    job = recalculate.job_for(w)
    if request.htmx:
        return render(request, PROGRESS, _context(w, job))
    if job is not None and job.is_done and job.finished_at:
        messages.success(request, f"Figures recalculated at {_clock(job.finished_at)}.")
    else:
        messages.info(request, "Recalculation started; reload in a minute.")
    return redirect(_dashboard(w))


@login_required
@role_required(*MANAGERS)
@require_GET
def recompute_status(request: HttpRequest) -> HttpResponse:
    """How the range's recalculation is going: the block htmx polls, a message without it."""
    w = FilterForm(request.GET or None).window()
    job = recalculate.job_for(w)
    if request.htmx:
        return render(request, PROGRESS, _context(w, job))
    if job is None:
        messages.info(request, "No recalculation was asked for these figures lately.")
    elif job.is_done and job.finished_at:
        messages.success(request, f"Figures recalculated at {_clock(job.finished_at)}.")
    elif job.is_failed:
        messages.error(request, f"The recalculation did not finish: {job.error}")
    else:
        messages.info(request, f"Recalculating: {job.percent} % done; reload in a minute.")
    return redirect(_dashboard(w))
