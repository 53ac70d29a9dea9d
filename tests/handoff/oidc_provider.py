"""A real OpenID Connect provider (oidc-provider-mock) on 127.0.0.1, in a thread, for tests."""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import oidc_provider_mock
import requests
import werkzeug.serving

CLIENT_ID = "handoff-tests"
CLIENT_SECRET = "handoff-tests-secret"
ROLE_MAP = {"handoff-managers": "manager", "handoff-pms": "pm", "handoff-sales": "sales"}


@dataclass(frozen=True)
class Provider:
    url: str

    def set_user(self, sub: str, **claims) -> None:
        """The claims the provider gives `sub` from now on (its PUT /users/{sub})."""
        response = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=5)
        response.raise_for_status()

    def authorize(self, authorize_url: str, sub: str) -> str:
        """Submit the provider's sign-in form as `sub`; the redirect back to Handoff."""
        response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"]


@contextmanager
def running_provider() -> Iterator[Provider]:
    """The provider on a free port of 127.0.0.1, stopped when the block ends."""
    # The provider refuses plain HTTP unless told it runs where that is fine: a test.
    previous = os.environ.get("AUTHLIB_INSECURE_TRANSPORT")
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    app = oidc_provider_mock.app(require_nonce=True)
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield Provider(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
        if previous is None:
            os.environ.pop("AUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["AUTHLIB_INSECURE_TRANSPORT"] = previous


def configure(settings, provider: Provider, **overrides) -> None:
    """Point Handoff's single sign-on at `provider` (pytest-django's settings fixture)."""
    from handoff.auth.discovery import forget_provider_configuration

    forget_provider_configuration()
    settings.OIDC_ISSUER = provider.url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ROLE_MAP = ROLE_MAP
    settings.OIDC_ROLE_CLAIM = "groups"
    settings.OIDC_DEFAULT_ROLE = "sales"
    for name, value in overrides.items():
        setattr(settings, name, value)
