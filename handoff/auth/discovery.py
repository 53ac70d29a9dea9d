"""The identity provider's endpoints, read from its discovery document and cached per process."""

import threading
import time

import requests
from django.conf import settings
from mozilla_django_oidc.utils import import_from_settings

# mozilla-django-oidc's endpoint settings, and the discovery fields that fill them.
ENDPOINT_SETTINGS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
REQUIRED_FIELDS = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")

_lock = threading.Lock()
_cache: dict[str, tuple[float, dict]] = {}


class DiscoveryError(Exception):
    """The identity provider's discovery document could not be read or is not usable."""


def sso_enabled() -> bool:
    """Single sign-on is offered when the issuer and the client are configured."""
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def discovery_url(issuer: str) -> str:
    return f"{issuer.rstrip('/')}/.well-known/openid-configuration"


def provider_configuration() -> dict:
    """The issuer's discovery document, fetched once per OIDC_DISCOVERY_MAX_AGE seconds."""
    issuer = settings.OIDC_ISSUER
    with _lock:
        cached = _cache.get(issuer)
        if cached and time.monotonic() - cached[0] < settings.OIDC_DISCOVERY_MAX_AGE:
            return cached[1]
    try:
        response = requests.get(discovery_url(issuer), timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise DiscoveryError(f"Could not read {discovery_url(issuer)}: {error}") from error
    if not isinstance(document, dict):
        raise DiscoveryError("The discovery document is not a JSON object.")
    missing = [name for name in REQUIRED_FIELDS if not isinstance(document.get(name), str)]
    if missing:
        raise DiscoveryError(f"The discovery document has no {', '.join(missing)}.")
    # OpenID Connect Discovery 1.0, section 4.3: the issuer must be the one configured.
    if document["issuer"].rstrip("/") != issuer.rstrip("/"):
        raise DiscoveryError(
            f"The discovery document names the issuer {document['issuer']!r}, not {issuer!r}."
        )
    with _lock:
        _cache[issuer] = (time.monotonic(), document)
    return document


def forget_provider_configuration() -> None:
    """Drop the cached documents (a test's provider, or an issuer that moved)."""
    with _lock:
        _cache.clear()


def oidc_setting(attr: str, *default):
    """mozilla-django-oidc's settings, with the endpoints taken from discovery."""
    if attr in ENDPOINT_SETTINGS:
        return provider_configuration().get(ENDPOINT_SETTINGS[attr])
    return import_from_settings(attr, *default)
