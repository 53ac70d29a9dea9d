"""The API tokens page under Settings: one's tokens, a new one (its secret shown once), revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from handoff.token_models import ApiToken, TokenStatus
from handoff.tokens import selectors, services
from handoff.tokens.filters import tokens_in_status
from handoff.tokens.forms import ApiTokenForm
from handoff.web.confirm import Confirmation, confirm_page
from handoff.web.errors import domain_errors
from handoff.web.pagination import CappedPaginator

PAGE_SIZE = 25
# The secret of a token just made, shown on the next view of the list only.
SECRET_SHOWN_ONCE = "api_token_secret_once"  # noqa: S105 (a session key, not a secret)


def _list_url(request: HttpRequest | None = None, **kwargs) -> str:
    return reverse("api_tokens:list")


def _revoke_confirmation(token: ApiToken) -> Confirmation:
    return Confirmation(
        key=f"revoke-{token.pk}",
        question=f"Revoke the token “{token.name}”?",
        url=reverse("api_tokens:revoke", args=[token.pk]),
        label="Revoke token",
        cancel_url=_list_url(),
        detail=(
            f"Programs sending {token.prefix}… are refused from now on. "
            "This cannot be undone: a new token would have a new secret."
        ),
        css="contrast",
        opener_label="Revoke",
        opener_css="secondary",
        opener_aria_label=f"Revoke {token.name}",
    )


def _list_page(request: HttpRequest, form: ApiTokenForm, *, status: int = 200) -> HttpResponse:
    page = CappedPaginator(selectors.api_tokens_of(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        (token, None if token.revoked_at else _revoke_confirmation(token))
        for token in page.object_list
    ]
    shown = request.session.pop(SECRET_SHOWN_ONCE, None) if status == 200 else None
    context = {"form": form, "page": page, "rows": rows, "new_token": shown}
    return render(request, "handoff/api_tokens.html", context, status=status)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_list_url)
def api_token_list(request: HttpRequest) -> HttpResponse:
    """GET: the tokens and the form; POST: make a token, then show its secret once."""
    if request.method != "POST":
        return _list_page(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = services.api_token_create(actor=request.user, **form.data_for_service())
        except ValidationError as error:
            form.add_service_error(error)
        else:
            request.session[SECRET_SHOWN_ONCE] = {
                "pk": token.pk,
                "name": token.name,
                "secret": secret,
            }
            messages.success(request, f"Token “{token.name}” made. Copy it now: it is shown once.")
            return redirect("api_tokens:list")
    return _list_page(request, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors(back=_list_url)
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks (the page without script); POST revokes."""
    token = get_object_or_404(selectors.api_tokens_of(request.user), pk=pk)
    if request.method != "POST":
        if token.revoked_at is not None:
            messages.info(request, f"The token “{token.name}” is already revoked.")
            return redirect("api_tokens:list")
        return confirm_page(request, _revoke_confirmation(token))
    services.api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works.")
    return redirect("api_tokens:list")


def settings_section(request: HttpRequest) -> dict:
    """The API tokens card of the settings page: how many live tokens, and the link."""
    live = tokens_in_status(selectors.api_tokens_of(request.user), TokenStatus.LIVE)
    return {"api_tokens_live": live.count()}
