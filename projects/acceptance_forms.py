"""Customer acceptance, the forms: the PM's request to a contact, the contact's decision."""

from django import forms

from handoff.web.forms import ServiceErrorsMixin
from projects.acceptance_models import (
    MAX_COMMENT,
    MAX_CONTACT_NAME,
    MAX_RATING,
    MIN_RATING,
    AcceptanceStatus,
)
from projects.acceptance_selectors import STATES
from projects.models import Deliverable


class DeliverableChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Deliverable) -> str:
        return obj.summary


class AcceptanceSendForm(ServiceErrorsMixin, forms.Form):
    deliverable = DeliverableChoiceField(
        label="Deliverable",
        queryset=Deliverable.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choose a delivered deliverable of this project."},
    )
    contact_name = forms.CharField(label="Contact name", max_length=MAX_CONTACT_NAME)
    contact_email = forms.EmailField(
        label="Contact email",
        max_length=254,
        help_text="The link goes to this address; it works once, for 14 days.",
    )

    def __init__(self, *args, deliverables=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if deliverables is not None:
            self.fields["deliverable"].queryset = deliverables
        self.fields["contact_name"].widget.attrs["autocomplete"] = "off"
        self.fields["contact_email"].widget.attrs["autocomplete"] = "off"


RATINGS = [(str(n), str(n)) for n in range(MIN_RATING, MAX_RATING + 1)]


class AcceptanceDecisionForm(ServiceErrorsMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[
            (AcceptanceStatus.ACCEPTED, "Accept: it is delivered as promised"),
            (AcceptanceStatus.DECLINED, "Decline: something is missing or wrong"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether you accept or decline the deliverable."},
    )
    rating = forms.TypedChoiceField(
        label="Rating (1 poor, 5 excellent)",
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": f"Rate the deliverable from {MIN_RATING} to {MAX_RATING}.",
            "invalid_choice": f"Rate the deliverable from {MIN_RATING} to {MAX_RATING}.",
        },
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Needed when you decline: what is missing or wrong.",
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("decision") == AcceptanceStatus.DECLINED
            and not (data.get("comment") or "").strip()
        ):
            self.add_error("comment", "Say what is missing or wrong, so the team can put it right.")
        return data


class AcceptanceFilterForm(forms.Form):
    state = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *STATES])
