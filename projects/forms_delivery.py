"""Forms of delivery truth: the quick time entry, a change request, its rejection."""

from django import forms
from django.utils import timezone

from handoff.web.forms import DateInput, ServiceErrorsMixin

UNITS = [("hours", "hours"), ("days", "person-days")]


class TimeEntryForm(ServiceErrorsMixin, forms.Form):
    deliverable = forms.TypedChoiceField(label="Deliverable", coerce=int)
    day = forms.DateField(label="Day", widget=DateInput())
    amount = forms.DecimalField(
        label="Time spent", min_value=0, max_value=24, decimal_places=3, max_digits=6
    )
    unit = forms.ChoiceField(label="In", choices=UNITS, initial="hours")
    note = forms.CharField(label="Note", required=False, max_length=200)

    def __init__(self, *args, deliverables=(), **kwargs):
        kwargs.setdefault("initial", {}).setdefault("day", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["deliverable"].choices = [(d.pk, d.summary) for d in deliverables]
        self.fields["day"].widget.attrs["max"] = timezone.localdate().isoformat()

    def add_service_error(self, error) -> None:
        # The services name the amount "hours" or "days"; the form has one field for both.
        if hasattr(error, "error_dict"):
            for field in ("hours", "days"):
                if field in error.error_dict:
                    error.error_dict.setdefault("amount", []).extend(error.error_dict.pop(field))
        super().add_service_error(error)

    def service_amount(self) -> dict:
        unit = self.cleaned_data["unit"]
        return {unit: self.cleaned_data["amount"]}


class TimeEntryEditForm(TimeEntryForm):
    """One's own entry again: its day, time and note (the deliverable stays)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["deliverable"]


class ChangeRequestForm(ServiceErrorsMixin, forms.Form):
    proposed_date = forms.DateField(label="New date", required=False, widget=DateInput())
    proposed_effort_days = forms.DecimalField(
        label="New effort (days)",
        required=False,
        min_value=0,
        max_value=5000,
        decimal_places=1,
        max_digits=5,
    )
    descope = forms.BooleanField(label="Descope: withdraw this promise", required=False)
    reason = forms.CharField(
        label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RejectChangeForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="Reason for rejecting",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
