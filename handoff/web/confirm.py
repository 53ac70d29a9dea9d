"""Confirmations before what cannot be undone: one question for its dialog and its own page.

A button opens templates/partials/confirm_dialog.html with script (static/js/confirm.js);
without script it is a GET of the action's URL, which answers with confirm_page: the same
question and a form that POSTs to that URL, where the action is taken.
"""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@dataclass(frozen=True)
class Confirmation:
    """What the dialog and the page ask, and the POST that acts."""

    key: str  # unique on its page: the dialog is "confirm-<key>"
    question: str  # "Complete this project?"
    url: str  # GET: the confirmation page; POST: the action
    label: str  # the button that acts, and by default the one that opens the dialog
    cancel_url: str  # where the page's Cancel goes
    detail: str = ""  # what will happen, in a sentence or two
    hidden: tuple[tuple[str, str], ...] = ()  # extra fields the POST sends
    css: str = ""  # classes of the button that acts
    opener_label: str = ""  # a shorter text for the opening button ("Remove")
    opener_css: str = ""
    opener_aria_label: str = ""  # names the object when the text does not ("Remove Book rooms")

    @property
    def dialog_id(self) -> str:
        return f"confirm-{self.key}"


def confirm_page(request: HttpRequest, confirmation: Confirmation) -> HttpResponse:
    """The confirmation page of a GET: it asks and changes nothing."""
    return render(request, "partials/confirm_page.html", {"confirm": confirmation})
