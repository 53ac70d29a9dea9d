"""The small forms of two-factor authentication: a code, a new app's code, the password again."""

from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class SetupForm(forms.Form):
    setup = forms.CharField(widget=forms.HiddenInput, max_length=500, required=False)
    code = forms.CharField(
        label="Code from the app",
        max_length=12,
        help_text="The 6 digits the app shows for Handoff once you have added it.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class PasswordConfirmForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
