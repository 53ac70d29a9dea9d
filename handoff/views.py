"""The core pages: sign in, the API token, the health check and the friendly error pages."""

from collections.abc import Mapping

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from handoff.forms import LoginForm
from handoff.security import lockout_response


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class TokenView(ObtainAuthToken):
    """POST username and password, get {"token": …}; locked out as the login page is."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    # ObtainAuthToken names DRF's own parsers; ours bound the nesting of a JSON body.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES

    def post(self, request, *args, **kwargs):
        data = request.data if isinstance(request.data, Mapping) else {}
        username = data.get("username")
        credentials = {"username": username if isinstance(username, str) else ""}
        # DRF answers a refused authentication as bad input; the lockout deserves its own 429.
        if AxesProxyHandler.is_locked(request._request, credentials):
            return lockout_response(request._request, None, credentials)
        response = super().post(request, *args, **kwargs)
        if AxesProxyHandler.is_locked(request._request, credentials):
            return lockout_response(request._request, None, credentials)
        return response


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else None
    return render(request, "403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", {}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the error may have come from them or the database.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render({}), status=500)
