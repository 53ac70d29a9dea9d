"""What history says about a promise: the deal form's fragment, and a page of its own."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from deals.promise_advice import advise, typed_promise
from projects.calibration import calibrations_for, min_sample
from projects.forms_calibration import CalibrationForm

ROW_LIMIT = 999


def _row(request: HttpRequest) -> int | None:
    try:
        return max(0, min(int(request.GET.get("index", "")), ROW_LIMIT))
    except ValueError:
        return None


def _typed(request: HttpRequest, name: str) -> str:
    """A field as the deal form names it per row (commitments-0-kind), or plainly (kind)."""
    if name in request.GET:
        return request.GET[name]
    return next((v for k, v in request.GET.items() if k.endswith(f"-{name}")), "")


@login_required
@require_GET
def calibration(request: HttpRequest) -> HttpResponse:
    """The fragment for htmx (the deal form, while a promise is typed); else the page."""
    if request.htmx:
        typed = typed_promise(
            _typed(request, "kind"),
            _typed(request, "effort_days"),
            _typed(request, "promised_date"),
            _typed(request, "planned_date"),
        )
        ((found, taken),) = advise([typed])
        context = {
            "calibration": found,
            "taken": taken,
            "index": _row(request),
            "hint": typed is None,
        }
        return render(request, "projects/partials/calibration.html", context)
    form = CalibrationForm(request.GET or None)
    found = None
    if form.is_valid():
        (found,) = calibrations_for([form.promise()])
    return render(
        request,
        "projects/calibration.html",
        {"form": form, "calibration": found, "minimum_sample": min_sample()},
    )
