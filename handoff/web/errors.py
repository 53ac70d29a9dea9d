"""The one place a rule's "no" (handoff.errors) becomes a page answer."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from handoff.errors import ActionForbidden, DomainError

# Where a refused action sends the browser: back(request, **view_kwargs) -> url.
Back = Callable[..., str]


def came_from(fallback: str) -> Back:
    """Back to the page the request came from when it is on this site, else to the named page."""

    def back(request: HttpRequest, **kwargs) -> str:
        referer = request.META.get("HTTP_REFERER", "")
        safe = url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return referer if safe else reverse(fallback)

    return back


def domain_errors(view: Callable | None = None, *, back: Back | None = None) -> Callable:
    """A forbidden action answers 403; any other refusal is a message on the page `back` names.

    A service's ValidationError that the view did not put on a form is a message too. With htmx
    the browser is sent to that page (htmx swaps no 403, so a forbidden action shows its reason
    there as well). Use bare (`@domain_errors`) or with `back=`; the default goes back to the
    referring page of this site, else the home page.
    """
    back_to = back or came_from("home")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except ActionForbidden as error:
                if not request.htmx:
                    raise PermissionDenied(error.message) from error
                messages.error(request, error.message)
            except DomainError as error:
                messages.error(request, error.message)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            url = back_to(request, **kwargs)
            if request.htmx:
                return HttpResponseClientRedirect(url)
            return redirect(url)

        return wrapped

    return decorate(view) if view is not None else decorate
