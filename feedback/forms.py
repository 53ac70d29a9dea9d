"""The feedback pages' forms: a note, a reply, and what each person wants emailed."""

from django import forms
from django.urls import reverse

from deals.selectors import commitments_visible_to, deals_visible_to
from feedback.models import (
    Direction,
    EmailCategory,
    EmailChoice,
    Topic,
    default_email_choice,
)
from feedback.rules import RECIPIENT_ROLES, directions_for, email_categories_for
from handoff.models import DigestFrequency, User
from handoff.web.forms import ServiceErrorsMixin
from handoff.web.widgets import FlatSelect
from projects.selectors import projects_visible_to


class RecipientField(forms.ModelChoiceField):
    widget = FlatSelect

    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.get_role_display()})"


class NoteForm(ServiceErrorsMixin, forms.Form):
    direction = forms.ChoiceField(label="To", choices=Direction.choices)
    recipient = RecipientField(
        label="Recipient",
        queryset=User.objects.none(),
        required=False,
        empty_label="The whole team",
    )
    topic = forms.ChoiceField(label="Topic", choices=Topic.choices)
    deal = forms.ModelChoiceField(
        label="Deal", queryset=User.objects.none(), required=False, empty_label="None"
    )
    commitment = forms.ModelChoiceField(
        label="Commitment", queryset=User.objects.none(), required=False, empty_label="None"
    )
    project = forms.ModelChoiceField(
        label="Project", queryset=User.objects.none(), required=False, empty_label="None"
    )
    body = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        allowed = directions_for(user)
        self.fields["direction"].choices = [(d, Direction(d).label) for d in allowed]
        direction = self._chosen("direction")
        direction = direction if direction in allowed else (allowed[0] if allowed else "")
        # Only the people a note in this direction may go to: delivery, or sales.
        self.fields["recipient"].queryset = (
            User.objects.filter(is_active=True, role__in=RECIPIENT_ROLES.get(direction, ()))
            .exclude(pk=user.pk)
            .order_by("role", "first_name", "username")
        )
        deals = deals_visible_to(user)
        self.fields["deal"].queryset = deals.order_by("title")
        commitments = commitments_visible_to(user)
        projects = projects_visible_to(user)
        deal = self._chosen("deal")
        if deal.isdigit() and deals.filter(pk=deal).exists():
            # A note about one deal picks among that deal's promises and its project.
            commitments = commitments.filter(deal_id=deal)
            projects = projects.filter(deal_id=deal)
        self.fields["commitment"].queryset = commitments.order_by("deal__title", "id")
        self.fields["project"].queryset = projects.order_by("-created_at")
        self.fields["commitment"].label_from_instance = lambda c: f"{c.deal} — {c.summary}"
        self._narrow_with_htmx()

    def _chosen(self, name: str) -> str:
        """What the person chose (the data posted) or the page was opened with (?deal=…)."""
        value = self.data.get(name) if self.is_bound else self.initial.get(name)
        return str(getattr(value, "pk", value) or "")

    def _narrow_with_htmx(self) -> None:
        """A new direction redraws the recipients, a new deal its promises and project."""
        here = {
            "hx-get": reverse("feedback:note_new"),
            "hx-trigger": "change",
            "hx-include": "closest form",
            "hx-swap": "outerHTML",
        }
        self.fields["direction"].widget.attrs.update(
            here, **{"hx-target": "#field-recipient", "hx-select": "#field-recipient"}
        )
        self.fields["deal"].widget.attrs.update(
            here,
            **{
                "hx-target": "#field-commitment",
                "hx-select": "#field-commitment",
                "hx-select-oob": "#field-project",
            },
        )


class ReplyForm(ServiceErrorsMixin, forms.Form):
    reply = forms.CharField(
        label="Reply", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )


class PreferencesForm(ServiceErrorsMixin, forms.Form):
    digest_frequency = forms.ChoiceField(
        label="Digest", choices=DigestFrequency.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("digest_frequency", user.digest_frequency)
        stored = user.email_preferences or {}
        # Only what can reach this role; the choices stored for the others stay as they are.
        self.categories = [EmailCategory(c) for c in email_categories_for(user)]
        for category in self.categories:
            self.fields[f"email_{category.value}"] = forms.ChoiceField(
                label=category.label, choices=EmailChoice.choices
            )
            self.initial.setdefault(
                f"email_{category.value}",
                stored.get(category.value, default_email_choice(category.value)),
            )

    def email_fields(self):
        return [self[f"email_{category.value}"] for category in self.categories]

    def email_preferences(self) -> dict[str, str]:
        return {
            category.value: self.cleaned_data[f"email_{category.value}"]
            for category in self.categories
        }
