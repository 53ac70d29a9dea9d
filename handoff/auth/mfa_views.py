"""The pages of two-factor authentication: the code after the password, setting up an app,
new recovery codes, turning it off, and its section of the settings page."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import auth, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from handoff.auth import mfa
from handoff.auth.forms import CodeForm, PasswordConfirmForm, SetupForm
from handoff.security import lockout_response

REQUIRED_MESSAGE = (
    "Managers and admins must use two-factor authentication on this site: "
    "set up an authenticator app to go on."
)


def two_factor_section(request: HttpRequest) -> dict:
    user = request.user
    enabled = mfa.has_device(user)
    return {
        "mfa_enabled": enabled,
        "mfa_recovery_left": mfa.recovery_codes_left(user) if enabled else 0,
        "mfa_required": mfa.required_for(user),
        "mfa_sso_only": not user.has_usable_password(),
    }


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a password sign-in (or of a session from before the app was set up)."""
    state = mfa.pending(request)
    if state:
        user = get_user_model().objects.filter(pk=state["user"], is_active=True).first()
        next_url = state.get("next", "")
    elif request.user.is_authenticated and not mfa.session_verified(request):
        user, next_url = request.user, request.GET.get("next", "")
        if not mfa.has_device(user):
            return redirect("mfa_setup")
    else:
        user = None
    if user is None:
        mfa.end_verification(request)
        if request.user.is_authenticated:
            return redirect("home")
        messages.info(request, "Your sign-in took too long; enter your password again.")
        return redirect("login")
    form = CodeForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            result = mfa.check_code(request, user, form.cleaned_data["code"])
        except mfa.Locked:
            mfa.end_verification(request)
            return lockout_response(request, None, {"username": user.get_username()})
        if result.device is not None:
            if not request.user.is_authenticated:
                auth.login(request, user, backend=state["backend"])
            mfa.mark_verified(request, result.device)
            mfa.end_verification(request)
            if isinstance(result.device, StaticDevice):
                left = mfa.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. "
                    "Make new ones on the settings page if you are running out.",
                )
            return redirect(mfa.safe_next(request, next_url))
        form.add_error("code", result.error)
    return render(request, "handoff/mfa_verify.html", {"form": form}, status=_status(form))


@login_required
@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Scan the QR code (or type the secret), confirm with a code, see the recovery codes once."""
    user = request.user
    if not user.has_usable_password():
        messages.info(
            request,
            "You sign in through single sign-on; your identity provider asks for the second factor.",
        )
        return redirect("settings")
    if mfa.has_device(user) and request.method == "GET":
        messages.info(request, "Two-factor authentication is already on.")
        return redirect("settings")
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.method == "POST":
        form = SetupForm(request.POST)
        key = mfa.setup_key(user, request.POST.get("setup", ""))
        if form.is_valid() and key is None:
            form.add_error(None, "This setup expired. Add the new code below to your app instead.")
        elif form.is_valid():
            step = mfa.code_matches_key(key, form.cleaned_data["code"])
            if step is None:
                form.add_error(
                    "code",
                    "That code does not match. Check that the time on your phone is right "
                    "and enter the code the app shows now.",
                )
            else:
                device, codes = mfa.enable(user=user, key=key, time_step=step)
                mfa.mark_verified(request, device)
                messages.success(request, "Two-factor authentication is on.")
                return _show_codes(request, codes, next_url)
    else:
        form, key = None, None
    key = key or mfa.new_key()
    url = mfa.otpauth_url(user, key)
    context = {
        "form": form or SetupForm(),
        "setup_token": mfa.setup_token(user, key),
        "qr_svg": mfa.qr_svg(url),
        "secret": mfa.format_secret(mfa.secret_of(key)),
        "otpauth_url": url,
        "next": next_url,
        "required": mfa.required_for(user),
    }
    return render(request, "handoff/mfa_setup.html", context, status=_status(context["form"]))


def _show_codes(request: HttpRequest, codes: list[str], next_url: str = "") -> HttpResponse:
    context = {"codes": codes, "next": mfa.safe_next(request, next_url)}
    response = render(request, "handoff/mfa_recovery_codes.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _password_confirmed(request: HttpRequest, form: PasswordConfirmForm):
    """True, False (the form says why), or the lockout page; a wrong password counts."""
    user = request.user
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        return lockout_response(request, None, credentials)
    if not form.is_valid():
        return False
    checked = auth.authenticate(
        request, username=user.get_username(), password=form.cleaned_data["password"]
    )
    if AxesProxyHandler.is_locked(request, credentials):
        return lockout_response(request, None, credentials)
    if checked is None or checked.pk != user.pk:
        form.add_error("password", "That is not your password.")
        return False
    return True


@login_required
@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def mfa_recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, after the password: the old ones stop working."""
    if not mfa.has_device(request.user):
        return redirect("mfa_setup")
    form = PasswordConfirmForm(request.POST or None)
    if form.is_bound:
        confirmed = _password_confirmed(request, form)
        if isinstance(confirmed, HttpResponse):
            return confirmed
        if confirmed:
            codes = mfa.regenerate_recovery_codes(user=request.user)
            messages.success(request, "New recovery codes are ready; the old ones no longer work.")
            return _show_codes(request, codes)
    context = {"form": form, "left": mfa.recovery_codes_left(request.user)}
    return render(request, "handoff/mfa_regenerate.html", context, status=_status(form))


@login_required
@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def mfa_disable(request: HttpRequest) -> HttpResponse:
    """Turn two-factor authentication off, after the password; refused where it is required."""
    if not mfa.has_device(request.user):
        messages.info(request, "Two-factor authentication is already off.")
        return redirect("settings")
    required = mfa.required_for(request.user)
    form = PasswordConfirmForm(request.POST or None)
    if form.is_bound and required:
        messages.error(
            request, "Managers and admins cannot turn two-factor authentication off here."
        )
        return render(
            request, "handoff/mfa_disable.html", {"form": form, "required": True}, status=403
        )
    if form.is_bound:
        confirmed = _password_confirmed(request, form)
        if isinstance(confirmed, HttpResponse):
            return confirmed
        if confirmed:
            mfa.disable(user=request.user)
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            messages.success(
                request, "Two-factor authentication is off: your password alone signs you in."
            )
            return redirect("settings")
    context = {"form": form, "required": required}
    return render(request, "handoff/mfa_disable.html", context, status=_status(form))
