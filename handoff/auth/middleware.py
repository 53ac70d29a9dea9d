"""MFA_REQUIRED_FOR_MANAGERS: a manager or admin signed in with a password does nothing
else until an authenticator app is set up (or, if one is, its code is entered)."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from handoff.auth import mfa

# What a user held at the door may still open: the two-factor pages and signing out.
OPEN_ROUTES = frozenset({"mfa_setup", "mfa_verify", "logout", "login", "healthz", "readyz"})


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The setting first: while it is off, no request pays for a look at the user.
        if not settings.MFA_REQUIRED_FOR_MANAGERS:
            return self.get_response(request)
        user = request.user
        if (
            not user.is_authenticated
            or not mfa.required_for(user)
            or not mfa.password_session(request)
            or mfa.session_verified(request)
            or self._open(request)
        ):
            return self.get_response(request)
        has_device = mfa.has_device(user)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": "Enter your two-factor code first."
                    if has_device
                    else "Set up two-factor authentication on the settings page first.",
                    "code": "mfa_verification_required" if has_device else "mfa_setup_required",
                },
                status=403,
            )
        target = "mfa_verify" if has_device else "mfa_setup"
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return redirect(f"{reverse(target)}?{query}" if query else reverse(target))

    @staticmethod
    def _open(request: HttpRequest) -> bool:
        if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return True
        try:
            return resolve(request.path_info).url_name in OPEN_ROUTES
        except Resolver404:
            return False
