"""The calibration page's question: a kind, an effort and a promised date, within bounds."""

from datetime import date
from decimal import Decimal

from django import forms

from deals.models import MAX_EFFORT_DAYS, CommitmentKind
from handoff.validators import within_years
from handoff.web.forms import DateInput


class CalibrationForm(forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=[("", "Choose a kind"), *CommitmentKind.choices])
    effort_days = forms.DecimalField(
        label="Effort (days)",
        min_value=0,
        max_value=MAX_EFFORT_DAYS,
        max_digits=7,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"min": "0", "step": "0.5"}),
    )
    promised_date = forms.DateField(
        label="Promised date", validators=[within_years], widget=DateInput()
    )

    def promise(self) -> tuple[str, Decimal, date]:
        data = self.cleaned_data
        return data["kind"], data["effort_days"], data["promised_date"]
