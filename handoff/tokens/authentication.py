"""`Authorization: Bearer hnd_…`: a scoped API token authenticates its user, within its scopes.

The scope is checked here, where the credential is read, rather than in a permission class:
views set their own permission_classes, and a scope must hold on every one of them.
A view marks what its writes need with `api_token_scope`: TokenScope.IMPORT (bringing deals
in), or SIGNED_IN_ONLY (token management and account security, never a scoped token).
"""

import re

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS

from handoff.templatetags.formats import when
from handoff.token_models import TOKEN_MARK, ApiToken, TokenScope
from handoff.tokens import selectors, services

SIGNED_IN_ONLY = "signed_in_only"
# hnd_ and the 43 characters of 32 bytes in URL-safe base64.
SECRET_PATTERN = re.compile(rf"{TOKEN_MARK}[A-Za-z0-9_-]{{43}}")

SCOPE_REFUSALS = {
    TokenScope.READ: "This token lacks the read scope: it may not read through the API.",
    TokenScope.WRITE: "This token lacks the write scope: it may not change anything.",
    TokenScope.IMPORT: "This token lacks the import scope: it may not bring deals in.",
}


class ScopedTokenAuthentication(BaseAuthentication):
    """`Bearer hnd_…`; `Token …` stays the sign-in token's, read by DRF's TokenAuthentication."""

    keyword = "Bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as `Authorization: Bearer hnd_…`, with no spaces in it.",
                code="token_malformed",
            )
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            secret = ""
        if not SECRET_PATTERN.fullmatch(secret):
            raise exceptions.AuthenticationFailed(
                "This is not a Handoff API token: they start with hnd_ and are 47 characters.",
                code="token_malformed",
            )
        token = selectors.api_token_by_hash(services.hash_of(secret))
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.", code="token_invalid")
        now = timezone.now()
        self._check_usable(token, now)
        self._check_scope(token, request)
        services.api_token_note_use(token, now=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'

    @staticmethod
    def _check_usable(token: ApiToken, now) -> None:
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                f"This token was revoked on {when(token.revoked_at)}.", code="token_revoked"
            )
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                f"This token expired on {when(token.expires_at)}.", code="token_expired"
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(
                "This token's account is deactivated.", code="user_inactive"
            )

    @staticmethod
    def _check_scope(token: ApiToken, request) -> None:
        view = (request.parser_context or {}).get("view")
        marked = getattr(view, "api_token_scope", None)
        if marked == SIGNED_IN_ONLY:
            raise exceptions.PermissionDenied(
                "API tokens cannot do this: sign in, or use the token of POST /api/v1/auth/token/.",
                code="signed_in_only",
            )
        if request.method in SAFE_METHODS:
            needed = TokenScope.READ
        elif marked == TokenScope.IMPORT:
            needed = TokenScope.IMPORT
        else:
            needed = TokenScope.WRITE
        if not token.has_scope(needed):
            raise exceptions.PermissionDenied(SCOPE_REFUSALS[needed], code="token_scope_missing")


class ScopedTokenScheme(OpenApiAuthenticationExtension):
    target_class = ScopedTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A scoped API token from Settings → API tokens: `Bearer hnd_…`. "
            "read allows GET, HEAD and OPTIONS; write the other methods; import the deal "
            "upsert and the CSV import. Any operation beyond the token's scopes answers 403 "
            "with code token_scope_missing; token management and two-factor authentication "
            "answer 403 signed_in_only. An expired, revoked or unknown token answers 401.",
        }
