"""The API of signing in: the token endpoint asking for the two-factor code (`otp`), and
two-factor authentication set up, renewed and turned off as on the settings page."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import auth
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.response import Response
from rest_framework.views import APIView

from handoff import views as core_views
from handoff.auth import mfa
from handoff.auth.login import SSO_ONLY_MESSAGE, may_use_password
from handoff.security import lockout_response
from handoff.tokens.authentication import SIGNED_IN_ONLY


# The schema keeps the component names the token endpoint always had.
@extend_schema_serializer(component_name="AuthToken")
class OTPAuthTokenSerializer(AuthTokenSerializer):
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=32,
        write_only=True,
        help_text="For an account with two-factor authentication: the authenticator app's "
        "current code, or one unused recovery code.",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user, request = attrs["user"], self.context["request"]._request
        if not may_use_password(user):
            raise serializers.ValidationError(SSO_ONLY_MESSAGE, code="password_login_off")
        if mfa.has_device(user):
            code = attrs.get("otp", "")
            if not code:
                raise serializers.ValidationError(
                    {"otp": ["This account uses two-factor authentication: send its code as otp."]}
                )
            result = mfa.check_code(request, user, code)  # Locked: the view answers 429
            if result.device is None:
                raise serializers.ValidationError({"otp": [result.error]})
        elif mfa.required_for(user):
            raise exceptions.PermissionDenied(
                "Set up two-factor authentication on the settings page before asking for a token."
            )
        return attrs


class TokenView(core_views.TokenView):
    """POST username, password and, with two-factor authentication on, otp; get {"token": …}."""

    serializer_class = OTPAuthTokenSerializer

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except mfa.Locked:
            username = request.data.get("username") if hasattr(request.data, "get") else ""
            return lockout_response(request._request, None, {"username": username})


class TwoFactorStatus(serializers.Serializer):
    enabled = serializers.BooleanField(help_text="An authenticator app is set up.")
    recovery_codes_left = serializers.IntegerField()
    required = serializers.BooleanField(help_text="This site requires it of this user's role.")


class SetupStarted(serializers.Serializer):
    secret = serializers.CharField(help_text="The base32 secret to type into an app.")
    otpauth_url = serializers.CharField(help_text="The otpauth:// URI a QR code carries.")
    setup = serializers.CharField(help_text="Send it back to …/confirm/ with the app's code.")


class SetupConfirm(serializers.Serializer):
    setup = serializers.CharField(max_length=500)
    code = serializers.CharField(max_length=12)


class PasswordConfirm(serializers.Serializer):
    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True)


RecoveryCodes = inline_serializer(
    "RecoveryCodes", {"recovery_codes": serializers.ListField(child=serializers.CharField())}
)


def _password_checked(request, data) -> None:
    """The password of the signed-in user, checked under the lockout like a sign-in."""
    serializer = PasswordConfirm(data=data)
    serializer.is_valid(raise_exception=True)
    user, django_request = request.user, request._request
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(django_request, credentials):
        raise mfa.Locked
    checked = auth.authenticate(
        django_request, username=user.get_username(), password=serializer.validated_data["password"]
    )
    if AxesProxyHandler.is_locked(django_request, credentials):
        raise mfa.Locked
    if checked is None or checked.pk != user.pk:
        raise serializers.ValidationError({"password": ["That is not your password."]})


class _TwoFactorView(APIView):
    # Account security: a scoped API token, if it leaked, must not change the second factor.
    api_token_scope = SIGNED_IN_ONLY

    def handle_exception(self, exc):
        if isinstance(exc, mfa.Locked):
            credentials = {"username": self.request.user.get_username()}
            return lockout_response(self.request._request, None, credentials)
        return super().handle_exception(exc)

    @staticmethod
    def _password_user(request) -> None:
        if not request.user.has_usable_password():
            raise exceptions.PermissionDenied(
                "This account signs in through single sign-on; its identity provider asks "
                "for the second factor."
            )


class TwoFactorView(_TwoFactorView):
    @extend_schema(responses=TwoFactorStatus, summary="Whether two-factor authentication is on")
    def get(self, request):
        user = request.user
        enabled = mfa.has_device(user)
        return Response(
            {
                "enabled": enabled,
                "recovery_codes_left": mfa.recovery_codes_left(user) if enabled else 0,
                "required": mfa.required_for(user),
            }
        )


class TwoFactorSetupView(_TwoFactorView):
    @extend_schema(request=None, responses=SetupStarted, summary="A new secret for an app")
    def post(self, request):
        self._password_user(request)
        if mfa.has_device(request.user):
            raise exceptions.PermissionDenied(
                "Two-factor authentication is already on; turn it off first to change the app."
            )
        key = mfa.new_key()
        return Response(
            {
                "secret": mfa.secret_of(key),
                "otpauth_url": mfa.otpauth_url(request.user, key),
                "setup": mfa.setup_token(request.user, key),
            }
        )


class TwoFactorConfirmView(_TwoFactorView):
    @extend_schema(
        request=SetupConfirm, responses={201: RecoveryCodes}, summary="Turn it on with a code"
    )
    def post(self, request):
        self._password_user(request)
        serializer = SetupConfirm(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = mfa.setup_key(request.user, serializer.validated_data["setup"])
        if key is None:
            raise serializers.ValidationError(
                {"setup": ["This setup expired or is not yours: start again."]}
            )
        step = mfa.code_matches_key(key, serializer.validated_data["code"])
        if step is None:
            raise serializers.ValidationError({"code": ["That code does not match the secret."]})
        _device, codes = mfa.enable(user=request.user, key=key, time_step=step)
        return Response({"recovery_codes": codes}, status=status.HTTP_201_CREATED)


class RecoveryCodesView(_TwoFactorView):
    @extend_schema(
        request=PasswordConfirm, responses={201: RecoveryCodes}, summary="New recovery codes"
    )
    def post(self, request):
        if not mfa.has_device(request.user):
            raise exceptions.PermissionDenied("Two-factor authentication is off.")
        _password_checked(request, request.data)
        codes = mfa.regenerate_recovery_codes(user=request.user)
        return Response({"recovery_codes": codes}, status=status.HTTP_201_CREATED)


class TwoFactorDisableView(_TwoFactorView):
    @extend_schema(request=PasswordConfirm, responses={204: None}, summary="Turn it off")
    def post(self, request):
        if mfa.required_for(request.user):
            raise exceptions.PermissionDenied(
                "Managers and admins cannot turn two-factor authentication off on this site."
            )
        _password_checked(request, request.data)
        mfa.disable(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
