"""The meeting pages' forms: they draw and parse; the services hold the rules."""

from django import forms

from deals.models import Commitment, Deal
from deals.selectors import deals_visible_to
from feedback.models import FeedbackNote
from feedback.selectors import notes_visible_to
from handoff.models import Role, Team, TeamKind, User
from handoff.templatetags.formats import short_day
from handoff.validators import within_years
from handoff.web.forms import DateInput, ServiceErrorsMixin
from meetings.models import ActionItemStatus, ItemAction
from meetings.selectors import DUE_CHOICES, agenda_items_visible_to
from meetings.services.decisions import NOTE_MAX
from projects.models import OPEN_DELIVERABLE_STATUSES, Deliverable, Project
from projects.selectors import projects_visible_to


def _people():
    return User.objects.filter(
        is_active=True, role__in=(Role.SALES, Role.PM, Role.MANAGER)
    ).order_by("username")


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.get_role_display().lower()})"


class MeetingForm(ServiceErrorsMixin, forms.Form):
    held_on = forms.DateField(label="Date", widget=DateInput, validators=[within_years])
    sales_team = forms.ModelChoiceField(
        label="Sales team",
        queryset=Team.objects.filter(kind=TeamKind.SALES),
        required=False,
        empty_label="All sales",
    )
    delivery_team = forms.ModelChoiceField(
        label="Delivery team",
        queryset=Team.objects.filter(kind=TeamKind.DELIVERY),
        required=False,
        empty_label="All delivery",
    )


class PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.get_role_display().lower()})"


class AttendeesForm(ServiceErrorsMixin, forms.Form):
    attendees = PeopleChoice(
        label="Attendees", queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = _people()


class CloseForm(ServiceErrorsMixin, forms.Form):
    present = forms.ModelMultipleChoiceField(
        label="Who attended", queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, invited=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["present"]
        field.queryset = invited if invited is not None else User.objects.none()
        field.label_from_instance = lambda user: user.display_name


class DecisionForm(ServiceErrorsMixin, forms.Form):
    """The decision note and, by the item's kind, the action the meeting can take on it."""

    note = forms.CharField(
        label="Decision",
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX}),
    )
    reviewer = PersonChoice(
        label="Reassign the review to",
        queryset=User.objects.none(),
        required=False,
        empty_label="Keep the reviewer",
    )
    escalation_decision = forms.ChoiceField(
        label="Decide the escalation",
        choices=[("", "Leave it open"), ("upheld", "Uphold the flag"), ("overruled", "Overrule")],
        required=False,
    )
    deliverable = forms.ModelChoiceField(
        label="Mark at risk",
        queryset=Deliverable.objects.none(),
        required=False,
        empty_label="No deliverable",
    )
    acknowledge = forms.BooleanField(label="Acknowledge the note", required=False)
    close_action_item = forms.BooleanField(label="Mark the action item done", required=False)

    FIELDS_OF = {
        ItemAction.REASSIGN_REVIEW: "reviewer",
        ItemAction.DECIDE_ESCALATION: "escalation_decision",
        ItemAction.MARK_AT_RISK: "deliverable",
        ItemAction.ACKNOWLEDGE_NOTE: "acknowledge",
        ItemAction.CLOSE_ACTION_ITEM: "close_action_item",
    }

    def __init__(self, *args, item, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        keep = self.FIELDS_OF.get(item.action)
        for name in list(self.FIELDS_OF.values()):
            if name != keep:
                del self.fields[name]
        if keep == "reviewer":
            self.fields["reviewer"].queryset = User.objects.filter(
                is_active=True, role=Role.PM
            ).order_by("username")
        if keep == "deliverable":
            rows = Deliverable.objects.filter(status__in=OPEN_DELIVERABLE_STATUSES)
            rows = (
                rows.filter(pk=item.deliverable_id)
                if item.deliverable_id
                else rows.filter(project_id=item.project_id).exclude(status="at_risk")
            )
            self.fields["deliverable"].queryset = rows.order_by("promised_date", "id")
            self.fields["deliverable"].label_from_instance = lambda d: (
                f"{d.summary} (promised {short_day(d.promised_date)})"
            )

    @property
    def action_field(self):
        names = [name for name in self.FIELDS_OF.values() if name in self.fields]
        return self[names[0]] if names else None


class ActionItemForm(ServiceErrorsMixin, forms.Form):
    """What, who, by when, and what it is about: the deals, promises, projects and notes this
    meeting's agenda names (and the reader may see), so the choices stay short."""

    what = forms.CharField(label="What", max_length=200)
    owner = PersonChoice(
        label="Owner", queryset=User.objects.none(), empty_label="Choose who will do it"
    )
    due_on = forms.DateField(label="Due", widget=DateInput, validators=[within_years])
    deal = forms.ModelChoiceField(
        label="Deal", queryset=Deal.objects.none(), required=False, empty_label="No deal"
    )
    commitment = forms.ModelChoiceField(
        label="Promise",
        queryset=Commitment.objects.none(),
        required=False,
        empty_label="No promise",
    )
    project = forms.ModelChoiceField(
        label="Project", queryset=Project.objects.none(), required=False, empty_label="No project"
    )
    note = forms.ModelChoiceField(
        label="Feedback note",
        queryset=FeedbackNote.objects.none(),
        required=False,
        empty_label="No note",
    )
    agenda_item = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, user, meeting, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        named = agenda_items_visible_to(user).filter(meeting=meeting)
        self.fields["owner"].queryset = _people()
        deals = deals_visible_to(user).filter(pk__in=named.values("deal_id"))
        self.fields["deal"].queryset = deals.order_by("title")
        self.fields["commitment"].queryset = (
            Commitment.objects.filter(deal__in=deals.values("pk"))
            .select_related("deal")
            .order_by("deal__title", "id")
        )
        self.fields["commitment"].label_from_instance = lambda c: f"{c.deal.title}: {c.summary}"
        self.fields["project"].queryset = (
            projects_visible_to(user)
            .filter(pk__in=named.values("project_id"))
            .order_by("deal__title")
        )
        self.fields["project"].label_from_instance = lambda p: p.deal.title
        self.fields["note"].queryset = (
            notes_visible_to(user).filter(pk__in=named.values("note_id")).order_by("-created_at")
        )
        self.fields["note"].label_from_instance = lambda n: (
            f"{n.get_topic_display()}: {n.body[:60]}"
        )


class ActionItemFilterForm(forms.Form):
    owner = forms.ChoiceField(
        label="Owner", choices=[("me", "Mine"), ("", "Anyone")], required=False
    )
    status = forms.ChoiceField(
        label="Status",
        choices=[(ActionItemStatus.OPEN, "Open"), (ActionItemStatus.DONE, "Done"), ("all", "All")],
        required=False,
    )
    due = forms.ChoiceField(
        label="Due", choices=[("", "Any time"), *DUE_CHOICES.items()], required=False
    )


class MeetingSearchForm(forms.Form):
    q = forms.CharField(label="Search the minutes", required=False, max_length=200)
