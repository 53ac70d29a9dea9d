"""The live pages' version checks: a poll sends the version its page shows and hears 204 while
that is still the version, or what changed; the anonymous get 401, never the login page."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# The longest version a poll may send back; anything else is simply not the current one.
MAX_VERSION_LENGTH = 64


def version_check(view: Callable) -> Callable:
    """GET only, never cached; the anonymous get 401, which htmx does not swap into the page."""

    @require_GET
    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return HttpResponse(
                "Sign in again to see changes.", status=401, content_type="text/plain"
            )
        return view(request, *args, **kwargs)

    return wrapped


def seen(request: HttpRequest) -> str:
    """The version the polling page shows, as it sent it (`?v=`)."""
    return request.GET.get("v", "")[:MAX_VERSION_LENGTH]


def unchanged() -> HttpResponse:
    """Nothing changed: htmx swaps nothing, and polls again."""
    return HttpResponse(status=204)
