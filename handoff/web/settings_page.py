"""The /settings/ page: every app adds its section from its apps.py (register_section)."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# The context a section needs for this request; None hides the section from this user.
SectionContext = Callable[[HttpRequest], dict | None]


@dataclass(frozen=True)
class Section:
    template_name: str
    context: SectionContext | None = None
    stylesheet: str = ""


SECTIONS: list[Section] = []


def register_section(
    template_name: str, context: SectionContext | None = None, *, stylesheet: str = ""
) -> None:
    """Add a section to /settings/, once however often an app's ready() runs."""
    if all(section.template_name != template_name for section in SECTIONS):
        SECTIONS.append(Section(template_name, context, stylesheet))


@login_required
def settings_page(request: HttpRequest, **overrides) -> HttpResponse:
    """The sections this user has; a section's view passes its bound form back (400) to show errors."""
    sections, context = [], {}
    for section in SECTIONS:
        extra = section.context(request) if section.context else {}
        if extra is None:
            continue
        sections.append(section.template_name)
        context.update(extra)
    context.update(overrides)
    stylesheets = list(dict.fromkeys(s.stylesheet for s in SECTIONS if s.stylesheet))
    return render(
        request,
        "handoff/settings.html",
        {**context, "settings_sections": sections, "settings_stylesheets": stylesheets},
        status=400 if overrides else 200,
    )
