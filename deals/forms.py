"""Forms of the deals pages. They parse input; the services decide."""

import copy
import functools

from django import forms
from django.conf import settings
from django.core.validators import MinValueValidator
from django.forms import inlineformset_factory
from django.urls import reverse
from django.utils.choices import CallableChoiceIterator

from deals.filters import DealFilter
from deals.models import (
    Client,
    Commitment,
    CommitmentKind,
    Deal,
    DealStatus,
    EscalationDecision,
    VerdictKind,
)
from deals.selectors import clients_matching, clients_recent_for, clients_visible_to
from handoff.models import Role, User
from handoff.templatetags.formats import count
from handoff.validators import within_years
from handoff.web.forms import DateInput, ServiceErrorsMixin
from handoff.web.widgets import FlatSelect

COMMITMENTS_PREFIX = "commitments"
# Said as a field error wherever effort is typed, not as the database constraint's name.
NEGATIVE_EFFORT = "Effort cannot be negative."


class _OneChoice(forms.Select):
    """A single select read as a list, for a filter that takes several values in the API."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]


def _sales_reps():
    reps = User.objects.filter(role=Role.SALES, is_active=True).only(*User.NAME_FIELDS)
    return [("", "Any owner"), *((rep.pk, str(rep)) for rep in reps)]


class DealFilterForm(forms.Form):
    """The deal list's filters as the page draws them: DealFilter's own fields, with labels.

    It only draws and checks what was typed; DealFilter filters (deals.selectors.deal_list).
    """

    LABELS = {
        "q": "Search",
        "status": "Status",
        "client": "Client",
        "owner": "Owner",
        "sort": "Sort by",
    }

    def __init__(self, data=None, *, show_owner: bool = True) -> None:
        super().__init__(data)
        names = [name for name in self.LABELS if show_owner or name != "owner"]
        self.fields = {name: copy.deepcopy(DealFilter.base_filters[name].field) for name in names}
        for name in names:
            self.fields[name].label = self.LABELS[name]
        self.fields["q"].widget.attrs.update(type="search", placeholder="Title or client")
        self.fields["status"].widget = _OneChoice(choices=[("", "Any status"), *DealStatus.choices])
        # A select of every client grows with the data and is unusable at thousands; search
        # finds a client by name, and a client picked by a link shows as the one choice.
        chosen = self.data.get("client") if self.is_bound else None
        if chosen and str(chosen).isdigit():
            clients = Client.objects.filter(pk=chosen).values_list("pk", "name")
            self.fields["client"].widget = forms.Select(choices=[("", "Any client"), *clients])
        else:
            self.fields["client"].widget = forms.HiddenInput()
        if show_owner:
            # Read when the select is drawn, and once: the widget goes through its choices
            # twice (the required attribute, then the options).
            reps = functools.cache(_sales_reps)
            self.fields["owner"].widget = FlatSelect(choices=CallableChoiceIterator(reps))

    def narrows(self) -> bool:
        """Whether a filter is set, so that an empty list means that nothing matches."""
        if not self.is_bound:
            return False
        self.is_valid()  # cleaned_data then holds every field that was valid
        return any(self.cleaned_data.get(name) for name in ("q", "status", "client", "owner"))


CLIENT_MATCHES = 20
RECENT_CLIENTS = 8
CLIENT_SEARCH_LENGTH = 100


class DealForm(ServiceErrorsMixin, forms.ModelForm):
    """The deal's fields. Its client select lists only the chosen client and a handful more.

    Rendering every client grows with the data and is unusable at thousands; the select
    offers the user's recent clients, or the matches of "Find a client", and still
    validates any client id the user may pick.
    """

    client_search = forms.CharField(
        label="Find a client",
        required=False,
        max_length=CLIENT_SEARCH_LENGTH,
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "placeholder": "Part of the name"}
        ),
    )
    new_client = forms.CharField(
        label="Not listed? Organisation name",
        required=False,
        max_length=200,
        help_text="Type the name of a client that is not in the list yet.",
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Deal
        fields = [
            "title",
            "client",
            "value",
            "currency",
            "expected_close_date",
            "expected_start_date",
            "description",
        ]
        labels = {
            "title": "Title",
            "client": "Client",
            "value": "Value",
            "currency": "Currency",
            "expected_close_date": "Expected close date",
            "expected_start_date": "Expected start date",
            "description": "Description",
        }
        widgets = {
            "expected_close_date": DateInput(),
            "expected_start_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "client": {
                "invalid_choice": "Select a client from the list: that one is not available.",
            },
        }

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Validation writes what was typed into the instance: the form keeps a copy of its own,
        # so the page (its heading after a conflict) and the services see the deal as stored.
        self.instance = copy.copy(self.instance)
        self.fields["value"].widget.attrs.update(min="0", step="0.01")
        if self.instance.pk and not self.is_bound:
            self.initial["expected_version"] = self.instance.version
        self._offer_clients(user)

    def _offer_clients(self, user: User) -> None:
        field = self.fields["client"]
        field.required = False
        field.empty_label = "Choose a client"
        # Validation looks the id up in this queryset; the widget never iterates it.
        field.queryset = clients_visible_to(user)
        query = (self._raw("client_search") or "").strip()[:CLIENT_SEARCH_LENGTH]
        chosen = self._chosen_client(field.queryset)
        if query:
            found = clients_matching(user, query, limit=CLIENT_MATCHES + 1)
            shown, more = found[:CLIENT_MATCHES], len(found) > CLIENT_MATCHES
            group = f"Clients matching “{query}”"
        else:
            shown, more = clients_recent_for(user, limit=RECENT_CLIENTS), False
            group = "Your recent clients"
        choices: list = [("", field.empty_label)]
        if chosen is not None and chosen.pk not in {c.pk for c in shown}:
            choices.append((chosen.pk, chosen.name))
        if shown:
            choices.append((group, [(c.pk, c.name) for c in shown]))
        field.widget.choices = choices
        field.help_text = _client_status(query, len(shown), more=more)
        search = self.fields["client_search"].widget
        search.attrs.update(
            {
                "hx-get": reverse("deals:client_search"),
                "hx-trigger": "input changed delay:300ms, search",
                "hx-include": f"#{self['client'].auto_id}",
                "hx-target": f"#{self['client'].auto_id}",
                "hx-swap": "outerHTML",
                "hx-sync": "this:replace",
                "aria-controls": self["client"].auto_id,
                "data-client-search": "",
            }
        )

    def _raw(self, name: str):
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        return self.initial.get(name)

    def _chosen_client(self, clients) -> Client | None:
        """The client the form shows as picked: the posted one, else the deal's own."""
        value = self._raw("client")
        if value is None or not str(value).isdecimal():
            return None
        if int(value) == self.instance.client_id:
            return self.instance.client
        return clients.filter(pk=value).first()

    def clean(self):
        data = super().clean()
        picked = data.get("client") or "client" in self.errors  # an unknown id says so already
        if not picked and not data.get("new_client", "").strip():
            self.add_error("client", "Choose a client, or type the name of a new one.")
        return data

    def deal_data(self, client: Client) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["client"] = client
        return data


def _client_status(query: str, shown: int, *, more: bool) -> str:
    """What the client select holds now, said under it (and to screen readers as it changes)."""
    if not query:
        if shown:
            return "Your recent clients. Find another by typing part of its name."
        return "Find a client by typing part of its name."
    if more:
        return (
            f"The first {shown} clients matching “{query}”: type more of the name to narrow them."
        )
    if shown:
        return f"{count(shown, 'client')} matching “{query}”: pick one in the list."
    return f"No client matches “{query}”. Check the spelling, or type a new one below."


class CommitmentForm(ServiceErrorsMixin, forms.ModelForm):
    # The date typed before "Use <suggested date>" replaced it: what the suggestion came from.
    planned_date = forms.DateField(
        required=False, widget=forms.HiddenInput, validators=[within_years]
    )

    class Meta:
        model = Commitment
        fields = ["kind", "summary", "detail", "promised_date", "effort_days"]
        labels = {
            "kind": "Kind",
            "summary": "Summary",
            "detail": "Detail",
            "promised_date": "Promised date",
            "effort_days": "Effort (days)",
        }
        widgets = {
            "promised_date": DateInput(),
            "detail": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {"effort_days": {"min_value": NEGATIVE_EFFORT}}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Choose a kind"), *CommitmentKind.choices]
        effort = self.fields["effort_days"]
        effort.validators.append(MinValueValidator(0, message=NEGATIVE_EFFORT))
        effort.widget.attrs.update(min="0", step="0.5")
        if "DELETE" in self.fields:
            self.fields["DELETE"].label = "Remove this commitment"

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if self.cleaned_data.get("planned_date"):
            data["planned_date"] = self.cleaned_data["planned_date"]
        return data


CommitmentFormSet = inlineformset_factory(
    Deal,
    Commitment,
    form=CommitmentForm,
    extra=0,
    can_delete=True,
    max_num=settings.MAX_COMMITMENTS_PER_DEAL,
    validate_max=True,
)
TOO_MANY_COMMITMENTS = "A deal holds at most %(num)d commitments: remove some before saving."


def new_commitment_form(index: int) -> CommitmentForm:
    """An empty commitment row with the formset prefix `index`, like the formset's empty_form."""
    formset = commitment_formset()
    form = formset.form(
        **formset.get_form_kwargs(None),
        auto_id=formset.auto_id,
        prefix=formset.add_prefix(index),
        empty_permitted=True,
        use_required_attribute=False,
        renderer=formset.form_renderer,
    )
    formset.add_fields(form, None)
    return form


def commitment_formset(data=None, *, instance: Deal | None = None, extra: int = 0):
    formset = CommitmentFormSet(
        data,
        instance=instance or Deal(),
        prefix=COMMITMENTS_PREFIX,
        error_messages={"too_many_forms": TOO_MANY_COMMITMENTS},
    )
    formset.extra = extra
    formset.max_num = settings.MAX_COMMITMENTS_PER_DEAL
    return formset


class ReasonForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}))


class ReviseForm(forms.Form):
    reason = forms.CharField(required=False)


class AssignForm(ServiceErrorsMixin, forms.Form):
    reviewer = forms.ModelChoiceField(
        label="Reviewer",
        queryset=User.objects.filter(role=Role.PM, is_active=True).only(*User.NAME_FIELDS),
        empty_label="Choose a project manager",
        widget=FlatSelect,
    )


def _note_field() -> forms.CharField:
    return forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional: what the next reviewer should know.",
    )


class HandOnForm(ServiceErrorsMixin, forms.Form):
    """The lead reviewer hands the review to another project manager, with a note."""

    reviewer = forms.ModelChoiceField(
        label="Hand on to",
        queryset=User.objects.filter(role=Role.PM, is_active=True).only(*User.NAME_FIELDS),
        empty_label="Choose a project manager",
        widget=FlatSelect,
    )
    note = _note_field()

    def __init__(self, *args, exclude: User | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if exclude is not None:
            self.fields["reviewer"].queryset = self.fields["reviewer"].queryset.exclude(
                pk=exclude.pk
            )


class ReleaseForm(ServiceErrorsMixin, forms.Form):
    """The lead reviewer gives the review back to the queue, with a note."""

    note = _note_field()


class RuleForm(ServiceErrorsMixin, forms.Form):
    """One commitment's verdict; the page splits its fields over three small forms."""

    verdict = forms.ChoiceField(choices=VerdictKind.choices, widget=forms.HiddenInput)
    condition = forms.CharField(
        label="Condition", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(
        label="Reason", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    counter_date = forms.DateField(label="Counter date", required=False, widget=DateInput())
    counter_effort_days = forms.DecimalField(
        label="Counter effort (days)",
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=1,
        error_messages={"min_value": NEGATIVE_EFFORT},
        widget=forms.NumberInput(attrs={"min": "0", "step": "0.5"}),
    )


class EscalateForm(ServiceErrorsMixin, forms.Form):
    argument = forms.CharField(label="Argument", widget=forms.Textarea(attrs={"rows": 2}))


class EscalationDecideForm(ServiceErrorsMixin, forms.Form):
    decision = forms.ChoiceField(
        choices=[(EscalationDecision.UPHELD, "Uphold"), (EscalationDecision.OVERRULED, "Overrule")]
    )
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 2}))


class CommentForm(ServiceErrorsMixin, forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Mention someone with @username to notify them.",
    )
