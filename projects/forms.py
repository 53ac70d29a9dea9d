import datetime
import re

from django import forms

from handoff.web.forms import DateInput, ServiceErrorsMixin
from handoff.web.widgets import FlatSelect
from projects.capacity import week_of
from projects.models import DeliverableStatus, Project, ProjectStatus


class BriefForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["customer_context", "stakeholders", "risks", "promised_outside_commitments"]
        labels = {
            "customer_context": "Customer context",
            "stakeholders": "Stakeholders",
            "risks": "Risks",
            "promised_outside_commitments": "Promised outside the commitments",
        }
        help_texts = {
            "customer_context": "Who the client is, why they bought, what matters to them.",
            "stakeholders": "Names, roles and who decides.",
            "promised_outside_commitments": "Anything said in the sale that is not a commitment.",
        }
        widgets = {field: forms.Textarea(attrs={"rows": 4}) for field in fields}


class KickoffItemForm(ServiceErrorsMixin, forms.Form):
    text = forms.CharField(label="New checklist item", max_length=200)


class QuestionsForm(ServiceErrorsMixin, forms.Form):
    questions = forms.CharField(
        label="Questions for the sales rep",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DeliverableStatusForm(ServiceErrorsMixin, forms.Form):
    status = forms.ChoiceField(label="Status", choices=DeliverableStatus.choices)
    status_reason = forms.CharField(
        label="Reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when at risk or descoped.",
    )
    delivered_on = forms.DateField(
        label="Delivered on",
        required=False,
        widget=DateInput(),
        help_text="Needed when delivered.",
    )


class ProjectFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *ProjectStatus.choices]
    )
    pm = forms.TypedChoiceField(
        label="Project manager", required=False, coerce=int, empty_value=None, widget=FlatSelect
    )
    at_risk = forms.BooleanField(label="Has an at-risk deliverable", required=False)
    late = forms.BooleanField(label="Has a late deliverable", required=False)

    def __init__(self, *args, pms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pm"].choices = [("", "Anyone"), *((pm.pk, str(pm)) for pm in pms)]


# An ISO week as typed or as <input type="week"> sends it: 2027-W02, 2027W02, 2027-W2-3.
ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})(?:-?[1-7])?$", re.IGNORECASE)


class WeekField(forms.Field):
    """A week, given by any date in it (the date picker) or as an ISO week; cleaned to its Monday.

    A date picker, not <input type="week">: Firefox and Safari draw that one as a bare text box.
    """

    widget = DateInput
    default_error_messages = {
        "invalid": "Enter a date in the week, like 2027-01-11, or the week, like 2027-W02."
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", "Any day of the week: it counts from that Monday.")
        super().__init__(**kwargs)

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        try:
            if match := ISO_WEEK.match(value):
                year, week = int(match[1]), int(match[2])
                return datetime.date.fromisocalendar(year, week, 1)
            return week_of(datetime.date.fromisoformat(value))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value):
        # The picker shows the week's Monday; what was typed and refused is shown as typed.
        return value.isoformat() if isinstance(value, datetime.date) else value


class CapacityForm(ServiceErrorsMixin, forms.Form):
    weekly_days = forms.DecimalField(
        label="Person-days per week",
        min_value=0,
        max_value=7,
        decimal_places=1,
        max_digits=3,
        help_text="Your usual capacity for project work.",
    )


class CapacityExceptionForm(ServiceErrorsMixin, forms.Form):
    week_start = WeekField(label="Week")
    days = forms.DecimalField(
        label="Person-days that week",
        min_value=0,
        max_value=7,
        decimal_places=1,
        max_digits=3,
        initial=0,
        help_text="0 for a week off.",
    )
    note = forms.CharField(label="Note", max_length=200, required=False)
