"""The OpenID Connect backend: the ID token checked, the user matched by verified email or
created, and the role following the identity provider's groups on every sign-in."""

import logging
import re

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from handoff.auth.claims import email_verified, role_from_claims
from handoff.auth.discovery import oidc_setting, provider_configuration, sso_enabled

logger = logging.getLogger(__name__)

USERNAME_CHARACTERS = re.compile(r"[^\w.@+-]")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# The request attribute that carries why single sign-on refused someone, for the page to say.
REFUSAL_ATTRIBUTE = "sso_refusal"


class Refused(SuspiciousOperation):
    """The identity provider vouched for someone Handoff will not sign in; says why."""


def _clean_name(value: object) -> str:
    return CONTROL_CHARACTERS.sub("", value)[:150].strip() if isinstance(value, str) else ""


def single_sign_on_attempt(request, credentials: dict | None = None) -> bool:
    """AXES_WHITELIST_CALLABLE: a callback of the identity provider is not a password guess.

    It carries no username, so counting its refusals would lock everyone behind one address
    out of single sign-on; the provider limits its own sign-in attempts.
    """
    return bool(credentials) and "nonce" in credentials and "username" not in credentials


def keeps_own_role(user) -> bool:
    """Admins are made in Handoff, never by the identity provider's groups."""
    return user.is_superuser or user.role == "admin"


class OIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, configured from discovery when first used."""

    def __init__(self, *args, **kwargs) -> None:
        # The parent reads every endpoint here; this backend is built on every password
        # sign-in too, so the endpoints wait until an authorization code arrives.
        self.UserModel = get_user_model()

    @staticmethod
    def get_settings(attr, *args):
        return oidc_setting(attr, *args)

    def authenticate(self, request, **kwargs):
        # Only the callback's call (with the nonce it kept), never a password sign-in's.
        if request is None or "nonce" not in kwargs or "password" in kwargs or not sso_enabled():
            return None
        configuration = provider_configuration()
        self.issuer = configuration["issuer"]
        self.OIDC_OP_TOKEN_ENDPOINT = configuration["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = configuration.get("userinfo_endpoint")
        self.OIDC_OP_JWKS_ENDPOINT = configuration["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        """The signature and nonce (the library), then the issuer and audience it leaves out."""
        payload = super().verify_token(token, **kwargs)
        if "nonce" in kwargs:  # the ID token, not a signed userinfo answer
            if str(payload.get("iss", "")).rstrip("/") != self.issuer.rstrip("/"):
                raise SuspiciousOperation("The ID token was issued by another provider.")
            audience = payload.get("aud")
            audiences = audience if isinstance(audience, list) else [audience]
            if self.OIDC_RP_CLIENT_ID not in audiences:
                raise SuspiciousOperation("The ID token is meant for another client.")
        return payload

    def retrieve_matching_jwk(self, token):
        """The provider's key for this token; a token without a key id takes the only key."""
        if "kid" in jwt.get_unverified_header(token):
            return super().retrieve_matching_jwk(token)
        response = requests.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        keys = [
            key
            for key in response.json().get("keys", [])
            if key.get("use", "sig") == "sig"
            and key.get("alg", self.OIDC_RP_SIGN_ALGO) == self.OIDC_RP_SIGN_ALGO
        ]
        if len(keys) != 1:
            raise SuspiciousOperation("The ID token names no key and the provider has several.")
        return jwt.PyJWK(keys[0])

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, completed by the userinfo endpoint when there is one."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = super().get_userinfo(access_token, id_token, payload)
            if userinfo.get("sub") != payload.get("sub"):
                raise SuspiciousOperation("The userinfo answer is about another subject.")
            claims.update(userinfo)
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        try:
            return self._match(self.get_userinfo(access_token, id_token, payload))
        except Refused as refusal:
            setattr(self.request, REFUSAL_ATTRIBUTE, str(refusal))
            raise

    def _match(self, claims: dict):
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise Refused("Your identity provider did not send an email address.")
        if not email_verified(claims, settings.OIDC_EMAIL_VERIFIED_CLAIM):
            raise Refused(
                f"Your identity provider has not verified the email address {email}, "
                "so Handoff cannot match it to an account."
            )
        role = role_from_claims(
            claims,
            claim=settings.OIDC_ROLE_CLAIM,
            role_map=settings.OIDC_ROLE_MAP,
            default=settings.OIDC_DEFAULT_ROLE,
        )
        users = list(self.UserModel.objects.filter(email__iexact=email)[:2])
        if len(users) > 1:
            raise Refused(
                f"More than one account has the email address {email}; "
                "ask an administrator to keep one."
            )
        if users:
            user = users[0]
            if not user.is_active:
                raise Refused("This account is deactivated; ask an administrator.")
            if role is None and not keeps_own_role(user):
                raise Refused(_no_role_message())
            return self.update_user(user, claims, role=role)
        if role is None:
            raise Refused(_no_role_message())
        if not settings.OIDC_CREATE_USER:
            raise Refused(f"No account has the email address {email}; ask an administrator.")
        return self.create_user(claims, role=role)

    def create_user(self, claims, role: str = "sales"):
        """A new account with the mapped role and no password: it signs in through the IdP."""
        for attempt in range(20):
            username = self._username(claims, attempt)
            try:
                with transaction.atomic():
                    user = self.UserModel.objects.create_user(
                        username,
                        email=claims["email"],
                        first_name=_clean_name(claims.get("given_name")),
                        last_name=_clean_name(claims.get("family_name")),
                        role=role,
                    )
            except IntegrityError:
                continue
            logger.info("Single sign-on created the account %s (%s)", user.username, role)
            return user
        raise Refused("Could not find a free username for this account; ask an administrator.")

    def update_user(self, user, claims, role: str | None = None):
        """The role follows the groups (admins excepted); names follow the provider."""
        changed = []
        if role and not keeps_own_role(user) and user.role != role:
            logger.info(
                "Single sign-on changed the role of %s from %s to %s",
                user.username,
                user.role,
                role,
            )
            user.role = role
            changed.append("role")
        for field, claim in (("first_name", "given_name"), ("last_name", "family_name")):
            value = _clean_name(claims.get(claim))
            if value and getattr(user, field) != value:
                setattr(user, field, value)
                changed.append(field)
        if changed:
            user.save(update_fields=changed)
        return user

    def _username(self, claims: dict, attempt: int) -> str:
        preferred = claims.get("preferred_username")
        base = preferred if isinstance(preferred, str) and preferred else claims["email"]
        if "@" in base and base == claims["email"]:
            base = base.split("@", 1)[0]
        base = USERNAME_CHARACTERS.sub("", base)[:140] or "user"
        return base if attempt == 0 else f"{base}{attempt + 1}"


def _no_role_message() -> str:
    return (
        "Your account at the identity provider is in none of the groups that give a role in "
        "Handoff; ask an administrator."
    )
