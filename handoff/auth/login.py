"""The login page: single sign-on when configured, the password form (admins only when
PASSWORD_LOGIN is off), and the second step for accounts with two-factor authentication."""

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from handoff import views as core_views
from handoff.auth import mfa
from handoff.auth.discovery import sso_enabled
from handoff.forms import LoginForm

SSO_ONLY_MESSAGE = (
    "Signing in with a password is turned off for this site: use Sign in with single sign-on."
)


def may_use_password(user) -> bool:
    """Whether this user may sign in with a password: anyone, or only admins when it is off."""
    return settings.PASSWORD_LOGIN or user.is_superuser or user.role == "admin"


class PasswordLoginForm(LoginForm):
    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not may_use_password(user):
            raise ValidationError(SSO_ONLY_MESSAGE, code="password_login_off")


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's own login page signs in with the password alone: not for accounts with
    two-factor authentication (they use the main login page), nor past PASSWORD_LOGIN."""

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not may_use_password(user):
            raise ValidationError(SSO_ONLY_MESSAGE, code="password_login_off")
        if mfa.has_device(user):
            raise ValidationError(
                "Your account uses two-factor authentication: log in on the main login page, "
                "which asks for your code.",
                code="two_factor",
            )


def login_context() -> dict:
    return {"sso_enabled": sso_enabled(), "password_login": settings.PASSWORD_LOGIN}


def render_login(request: HttpRequest, *, sso_error: str, status: int) -> HttpResponse:
    """The login page with a single sign-on failure at its top."""
    context = {
        **login_context(),
        "form": PasswordLoginForm(request),
        "next": "",
        "sso_error": sso_error,
    }
    return render(request, "registration/login.html", context, status=status)


class LoginView(core_views.LoginView):
    form_class = PasswordLoginForm

    def get_context_data(self, **kwargs) -> dict:
        return {**super().get_context_data(**kwargs), **login_context()}

    def form_valid(self, form) -> HttpResponse:
        user = form.get_user()
        if mfa.has_device(user):
            # Not signed in yet: the password is right, the code comes next.
            mfa.begin_verification(self.request, user, next_url=self.get_success_url())
            return redirect("mfa_verify")
        return super().form_valid(form)
