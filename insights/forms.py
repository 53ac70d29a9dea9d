"""The insights pages' forms: the range (and team) filter of the dashboard and scorecards, and a
shared goal."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from handoff.models import GoalMetric, SharedGoal, Team
from handoff.web.forms import DateInput
from insights.figures.window import DEFAULT_RANGE_DAYS, Window, default_range, window_for

# Wider ranges stop being a glance and start being a history scan.
MAX_RANGE_DAYS = 731


class RangeForm(forms.Form):
    """from / to (inclusive, default the last 90 days); bad input gives field errors."""

    def __init__(self, data=None, *, today: date | None = None, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.today = today or timezone.localdate()
        start, end = default_range(self.today)
        self.fields["from"] = forms.DateField(
            label="From", required=False, widget=DateInput, initial=start
        )
        self.fields["to"] = forms.DateField(
            label="To", required=False, widget=DateInput, initial=end
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        default_end = default_range(self.today)[1]
        end = cleaned.get("to") or default_end
        start = cleaned.get("from") or (end - timedelta(days=DEFAULT_RANGE_DAYS - 1))
        if "from" in self.errors or "to" in self.errors:
            return cleaned
        if start > end:
            self.add_error("to", "The end of the range must not be before its start.")
        elif (end - start).days + 1 > MAX_RANGE_DAYS:
            self.add_error("from", f"Choose a range of at most {MAX_RANGE_DAYS} days.")
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def range(self) -> tuple[date, date]:
        """The valid range, or the default one when the input was wrong."""
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return default_range(self.today)


class FilterForm(RangeForm):
    def __init__(self, data=None, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.fields["team"] = forms.ModelChoiceField(
            label="Team",
            queryset=Team.objects.order_by("name"),
            required=False,
            empty_label="Both teams",
        )

    def window(self) -> Window:
        start, end = self.range()
        team = self.cleaned_data.get("team") if self.is_valid() else None
        return window_for(start, end, team)


class GoalForm(forms.ModelForm):
    class Meta:
        model = SharedGoal
        fields = ["quarter", "metric", "comparison", "target"]
        labels = {"target": "Target"}
        help_texts = {
            "quarter": "For example 2026-Q4.",
            "target": "Rates in percent (90 means 90 %), turnaround in working days.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [("", "Choose a figure"), *GoalMetric.choices]

    def clean_target(self) -> Decimal:
        target = self.cleaned_data["target"]
        metric = self.data.get("metric")
        if target is not None and metric != "median_review_turnaround_days" and target > 100:
            raise forms.ValidationError("A rate cannot be above 100 %.")
        return target
