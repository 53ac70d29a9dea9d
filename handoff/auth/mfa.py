"""Two-factor authentication with django-otp: an authenticator app (TOTP) and single-use
recovery codes, who must have them, and a code checked under the login lockout."""

import io
import re
import time
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.signals import user_login_failed
from django.core import signing
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

PENDING_SESSION_KEY = "mfa_pending"
SETUP_SALT = "handoff.auth.mfa.setup"
OIDC_BACKEND = "handoff.auth.oidc.OIDCBackend"
TOTP_CODE = re.compile(r"^\d{6}$")
APP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


class Locked(Exception):
    """Too many failed attempts for this username from this address (django-axes)."""


@dataclass(frozen=True)
class Check:
    """A code's fate: the device that took it, or why not."""

    device: object | None = None
    error: str = ""


def has_device(user) -> bool:
    """An authenticator app confirmed for this user."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def required_for(user) -> bool:
    """MFA_REQUIRED_FOR_MANAGERS makes it mandatory for managers and admins."""
    return settings.MFA_REQUIRED_FOR_MANAGERS and (
        user.is_superuser or user.role in {"manager", "admin"}
    )


def password_session(request: HttpRequest) -> bool:
    """Signed in with a password (two-factor applies), not through the identity provider."""
    return request.session.get(BACKEND_SESSION_KEY) != OIDC_BACKEND


def session_verified(request: HttpRequest) -> bool:
    return DEVICE_ID_SESSION_KEY in request.session


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# The second step of a password sign-in


def begin_verification(request: HttpRequest, user, *, next_url: str) -> None:
    """Remember who gave the right password, for MFA_LOGIN_MAX_AGE seconds, until the code."""
    request.session[PENDING_SESSION_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "next": next_url,
        "at": time.time(),
    }


def pending(request: HttpRequest) -> dict | None:
    state = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(state, dict) or time.time() - state.get("at", 0) > settings.MFA_LOGIN_MAX_AGE:
        return None
    return state


def end_verification(request: HttpRequest) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)


def safe_next(request: HttpRequest, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return settings.LOGIN_REDIRECT_URL


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()[:32]


def check_code(request: HttpRequest, user, code: str) -> Check:
    """The code of the app or an unused recovery code; a wrong one counts as a failed login.

    Raises Locked when this username is locked out from this address, before or after.
    """
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        raise Locked
    code = _normalise(code)
    model = TOTPDevice if TOTP_CODE.match(code) else StaticDevice
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            result = Check(error="That is not a code of your authenticator app or a recovery code.")
        else:
            allowed, details = device.verify_is_allowed()
            if not allowed:
                wait = max(1, round((details["locked_until"] - timezone.now()).total_seconds()))
                result = Check(error=f"Too many wrong codes in a row: wait {wait} s and try again.")
            elif device.verify_token(code):
                result = Check(device=device)
            else:
                result = Check(error=_wrong_code_message(model))
    if result.device is None:
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if AxesProxyHandler.is_locked(request, credentials):
            raise Locked
    return result


def _wrong_code_message(model) -> str:
    if model is TOTPDevice:
        return "That code does not match. Enter the 6 digits your app shows now."
    return "That recovery code does not match, or was already used."


def mark_verified(request: HttpRequest, device) -> None:
    otp_login(request, device)


# Setting up an authenticator app


def new_key() -> str:
    """A fresh secret for an authenticator app: 20 random bytes, hex-encoded."""
    return default_key()


def secret_of(key: str) -> str:
    """The key in base32, as an app takes it typed in."""
    return b32encode(unhexlify(key)).decode().rstrip("=")


def setup_token(user, key: str) -> str:
    return signing.dumps({"user": user.pk, "key": key}, salt=SETUP_SALT)


def setup_key(user, token: str) -> str | None:
    """The key a setup token carries, if it is this user's and younger than MFA_SETUP_MAX_AGE."""
    try:
        data = signing.loads(token, salt=SETUP_SALT, max_age=settings.MFA_SETUP_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("user") != user.pk:
        return None
    key = data.get("key")
    return key if isinstance(key, str) and re.fullmatch(r"[0-9a-f]{40}", key) else None


def otpauth_url(user, key: str) -> str:
    """The otpauth:// URI an authenticator app scans."""
    return TOTPDevice(user=user, key=key).config_url


def qr_svg(data: str) -> str:
    """The QR code of `data` as inline SVG markup, drawn here (qrcode), no outside service."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]


def code_matches_key(key: str, code: str) -> int | None:
    """The time step a code of this key matches now (one step either way), or None."""
    code = _normalise(code)
    if not TOTP_CODE.match(code):
        return None
    totp = TOTP(unhexlify(key), step=30, t0=0, digits=6, drift=0)
    totp.time = time.time()
    return totp.t() if totp.verify(int(code), tolerance=1) else None


@transaction.atomic
def enable(*, user, key: str, time_step: int) -> tuple[TOTPDevice, list[str]]:
    """The app's device confirmed, any earlier one replaced, and fresh recovery codes."""
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(
        user=user, name=APP_NAME, key=key, confirmed=True, last_t=time_step
    )
    return device, _replace_recovery_codes(user)


@transaction.atomic
def regenerate_recovery_codes(*, user) -> list[str]:
    """New recovery codes; the old ones stop working."""
    return _replace_recovery_codes(user)


def _replace_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = []
    while len(codes) < settings.MFA_RECOVERY_CODES:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


@transaction.atomic
def disable(*, user) -> None:
    """The app and the recovery codes removed: the password alone signs in again."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def format_secret(secret: str) -> str:
    """The base32 secret in groups of four, as people type it."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
