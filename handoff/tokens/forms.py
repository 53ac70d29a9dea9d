"""The form of a new API token on the settings page: it parses; the service decides."""

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone

from handoff.token_models import MAX_TOKEN_NAME_LENGTH, SCOPE_HELP, TokenScope
from handoff.web.forms import DateInput, ServiceErrorsMixin

DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 365


class ApiTokenForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=MAX_TOKEN_NAME_LENGTH,
        help_text="What uses it, e.g. “CRM sync” or “Data warehouse”.",
    )
    scopes = forms.MultipleChoiceField(
        label="Scopes",
        choices=[(scope.value, scope.label) for scope in TokenScope],
        widget=forms.CheckboxSelectMultiple,
        help_text="Give it only what the program needs.",
        error_messages={"required": "Choose at least one scope."},
    )
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        widget=DateInput(),
        help_text="It stops working at the start of that day; at most a year ahead. "
        "Leave empty for a token that does not expire.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["scopes"].initial = [TokenScope.READ]
        self.fields["expires_on"].initial = today + timedelta(days=DEFAULT_LIFETIME_DAYS)
        widget = self.fields["expires_on"].widget
        widget.attrs.update(
            min=(today + timedelta(days=1)).isoformat(),
            max=(today + timedelta(days=MAX_LIFETIME_DAYS)).isoformat(),
        )

    @property
    def scope_rows(self) -> list:
        """Each scope's checkbox with what it allows."""
        return [(choice, SCOPE_HELP[choice.data["value"]]) for choice in self["scopes"]]

    def clean_expires_on(self) -> date | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError("Choose a day after today.")
        if day > today + timedelta(days=MAX_LIFETIME_DAYS):
            raise forms.ValidationError(
                "A token expires within a year: choose an earlier day, or leave it empty."
            )
        return day

    def data_for_service(self) -> dict:
        day = self.cleaned_data["expires_on"]
        expires_at = None
        if day is not None:
            expires_at = timezone.make_aware(datetime.combine(day, time.min))
        return {
            "name": self.cleaned_data["name"],
            "scopes": self.cleaned_data["scopes"],
            "expires_at": expires_at,
        }
