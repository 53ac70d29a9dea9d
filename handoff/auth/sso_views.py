"""The two pages of single sign-on: off to the identity provider, and back with a code."""

import logging

import jwt
import requests
from django.contrib import auth
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.views import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from handoff.auth.discovery import DiscoveryError, oidc_setting, provider_configuration, sso_enabled
from handoff.auth.login import render_login
from handoff.auth.oidc import REFUSAL_ATTRIBUTE

logger = logging.getLogger(__name__)

UNREACHABLE = "The identity provider did not answer. Try again in a moment."
NOT_VERIFIED = (
    "This single sign-on could not be verified: it was not started here, was already used, "
    "or has expired. Start again with Sign in with single sign-on."
)


class SSOStartView(OIDCAuthenticationRequestView):
    """GET: a fresh state, nonce and PKCE verifier in the session, then off to the provider."""

    def __init__(self, **kwargs) -> None:
        # The parent reads the endpoint here; it comes from discovery, when someone clicks.
        View.__init__(self, **kwargs)

    @staticmethod
    def get_settings(attr, *args):
        return oidc_setting(attr, *args)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_configuration()["authorization_endpoint"]
        except DiscoveryError as error:
            logger.warning("Single sign-on unavailable: %s", error)
            return render_login(request, sso_error=UNREACHABLE, status=503)
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        return super().get(request)


class SSOCallbackView(OIDCAuthenticationCallbackView):
    """GET with the provider's code: signed in, or the login page saying why not."""

    @staticmethod
    def get_settings(attr, *args):
        return oidc_setting(attr, *args)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            return super().get(request)
        except (SuspiciousOperation, jwt.PyJWTError) as error:
            # A state this browser did not start, a nonce or a signature that does not match.
            logger.warning("Single sign-on refused: %s", error)
            if request.user.is_authenticated:
                auth.logout(request)
            return render_login(request, sso_error=NOT_VERIFIED, status=400)
        except (requests.RequestException, DiscoveryError, ValueError, KeyError) as error:
            logger.warning("Single sign-on failed talking to the provider: %s", error)
            return render_login(request, sso_error=UNREACHABLE, status=502)

    def login_failure(self) -> HttpResponse:
        request = self.request
        refusal = getattr(request, REFUSAL_ATTRIBUTE, None)
        if refusal:
            return render_login(request, sso_error=refusal, status=403)
        error = request.GET.get("error")
        if error:
            description = request.GET.get("error_description", "")[:200] or error[:60]
            message = f"The identity provider did not sign you in: {description}."
            return render_login(request, sso_error=message, status=403)
        return render_login(request, sso_error=NOT_VERIFIED, status=400)
