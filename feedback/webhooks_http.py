"""Where a webhook may post: public https addresses only, checked when saved and when sent.

A URL is refused if its host resolves to a loopback, private, link-local, multicast, reserved
or otherwise non-public address, unless WEBHOOK_ALLOWED_HOSTS names the host; plain http is
refused unless the host is named there too. The check runs again on the socket itself when
a delivery connects, so a name that resolves to a public address when checked and to a
private one when sent (DNS rebinding) is still refused. Redirects are never followed.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

EXCERPT = 500
USER_AGENT = "Handoff-Webhooks/1.0"


class UrlRefused(ValueError):
    """The URL may not be posted to; the message says why, for the person who gave it."""


def allowed_hosts() -> set[str]:
    return {host.strip().lower() for host in settings.WEBHOOK_ALLOWED_HOSTS if host.strip()}


def _host_of(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UrlRefused("Enter a valid URL.") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in {"http", "https"} or not host:
        raise UrlRefused("Enter an http or https URL.")
    if parts.username or parts.password:
        raise UrlRefused("Leave user names and passwords out of the URL.")
    return scheme, host, port or (443 if scheme == "https" else 80)


def refusal(address: str) -> str | None:
    """Why this address may not be posted to, or None if it is a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for test, words in (
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_unspecified", "an unspecified address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private address"),
    ):
        if getattr(ip, test):
            return words
    if not ip.is_global:
        return "an address that is not public"
    return None


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UrlRefused(f"The host {host} could not be found.") from None
    return sorted({info[4][0] for info in infos})


def check_url(url: str) -> None:
    """Raise UrlRefused unless this URL may be posted to now (its host resolved)."""
    scheme, host, port = _host_of(url)
    if host in allowed_hosts():
        return
    if scheme != "https":
        raise UrlRefused("Use an https URL: plain http would send the events unencrypted.")
    for address in resolve(host, port):
        if (why := refusal(address)) is not None:
            where = (
                f"{host} is" if address == host.strip("[]") else f"{host} resolves to {address},"
            )
            raise UrlRefused(f"{where} {why}: webhooks go to public addresses only.")


# Sending


def _check_peer(connection: HTTPConnection, sock: socket.socket) -> None:
    if connection.host.lower() in allowed_hosts():
        return
    address = sock.getpeername()[0]
    if (why := refusal(address)) is not None:
        sock.close()
        raise UrlRefused(f"{connection.host} connected to {address}, {why}: refused.")


class _CheckedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(self, sock)
        return sock


class _CheckedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(self, sock)
        return sock


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _CheckedHTTPPool,
            "https": _CheckedHTTPSPool,
        }


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: the peer checked is the receiver
    adapter = _CheckedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass(frozen=True)
class PostResult:
    ok: bool
    status_code: int | None
    duration_ms: int
    excerpt: str
    error: str = ""


def post_json(url: str, body: bytes, headers: dict[str, str]) -> PostResult:
    """POST the body once: a 2xx is delivered; anything else, a redirect included, is not."""
    started = time.monotonic()
    try:
        check_url(url)
        with _session() as session:
            response = session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
                timeout=(settings.WEBHOOK_CONNECT_TIMEOUT, settings.WEBHOOK_READ_TIMEOUT),
                allow_redirects=False,
                stream=True,
            )
            with response:
                excerpt = _excerpt(response)
    except UrlRefused as refused:
        return PostResult(False, None, _since(started), "", f"Refused: {refused}")
    except requests.RequestException as error:
        cause = _cause(error)
        if isinstance(cause, UrlRefused):
            return PostResult(False, None, _since(started), "", f"Refused: {cause}")
        return PostResult(False, None, _since(started), "", _error_text(error))
    ok = 200 <= response.status_code < 300
    error = "" if ok else _status_text(response)
    return PostResult(ok, response.status_code, _since(started), excerpt, error)


def _excerpt(response: requests.Response) -> str:
    raw = response.raw.read(EXCERPT * 4, decode_content=True) or b""
    return raw.decode(response.encoding or "utf-8", errors="replace")[:EXCERPT]


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _status_text(response: requests.Response) -> str:
    if 300 <= response.status_code < 400:
        where = response.headers.get("Location", "")[:200]
        return f"Answered {response.status_code}, a redirect (to {where}), which is not followed."
    return f"Answered {response.status_code} {response.reason or ''}".strip()


def _cause(error: BaseException) -> BaseException | None:
    seen = error
    while seen is not None:
        if isinstance(seen, UrlRefused):
            return seen
        reason = getattr(seen, "reason", None)
        seen = reason if isinstance(reason, BaseException) else (seen.__cause__ or seen.__context__)
    return None


def _error_text(error: requests.RequestException) -> str:
    if isinstance(error, requests.ConnectTimeout):
        return "Could not connect within the time allowed."
    if isinstance(error, requests.ReadTimeout):
        return "Connected, but no answer came within the time allowed."
    if isinstance(error, requests.ConnectionError):
        return f"Could not connect: {type(_root(error)).__name__}."
    return f"{type(error).__name__}: {error}"[:EXCERPT]


def _root(error: BaseException) -> BaseException:
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__
    return error
