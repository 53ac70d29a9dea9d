"""The webhook and chat channel forms of the managers' pages: they parse; the services decide."""

from django import forms

from feedback.webhooks_models import ChatChannel, ChatKind, WebhookEndpoint, WebhookEvent
from handoff.models import Team
from handoff.web.forms import ServiceErrorsMixin

EVENTS_HELP = "Each event is posted once, as it is committed; tick those the receiver wants."


class _TargetForm(ServiceErrorsMixin, forms.Form):
    # The services check the URL (https, a public address); a form only takes text.
    url = forms.CharField(label="URL", max_length=500)
    events = forms.MultipleChoiceField(
        label="Events",
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=EVENTS_HELP,
        error_messages={"required": "Choose at least one event."},
    )


class WebhookForm(_TargetForm):
    description = forms.CharField(
        label="Description",
        max_length=200,
        required=False,
        help_text="What receives it, e.g. “CRM sync” or “Data warehouse”.",
    )
    field_order = ["url", "description", "events"]

    def __init__(self, *args, endpoint: WebhookEndpoint | None = None, **kwargs) -> None:
        if endpoint is not None and not args:
            kwargs["initial"] = {
                "url": endpoint.url,
                "description": endpoint.description,
                "events": endpoint.events,
            }
        super().__init__(*args, **kwargs)
        self.fields["url"].help_text = (
            "https, at a public address. Each POST is signed (Standard Webhooks) with the "
            "endpoint's secret."
        )

    def data_for_service(self) -> dict:
        return {
            "url": self.cleaned_data["url"],
            "events": self.cleaned_data["events"],
            "description": self.cleaned_data["description"],
        }


class ChatChannelForm(_TargetForm):
    team = forms.ModelChoiceField(
        label="Team", queryset=Team.objects.none(), empty_label="Choose a team"
    )
    kind = forms.ChoiceField(label="Chat", choices=ChatKind.choices)
    name = forms.CharField(
        label="Channel name",
        max_length=100,
        required=False,
        help_text="As the team knows it, e.g. “#sales-wins”.",
    )
    field_order = ["team", "kind", "name", "url", "events"]

    def __init__(self, *args, channel: ChatChannel | None = None, **kwargs) -> None:
        self.channel = channel
        if channel is not None and not args:
            kwargs["initial"] = {
                "team": channel.team_id,
                "kind": channel.kind,
                "name": channel.name,
                "events": channel.events,
            }
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")
        url = self.fields["url"]
        url.label = "Incoming webhook URL"
        url.help_text = (
            "From the chat's incoming webhook (Slack, Mattermost, Rocket.Chat) or a Teams "
            "workflow that posts to a channel."
        )
        if channel is not None:
            url.required = False
            url.help_text = "Leave empty to keep the current URL; it is a secret, so not shown."

    def data_for_service(self) -> dict:
        data = {
            "team": self.cleaned_data["team"],
            "kind": self.cleaned_data["kind"],
            "name": self.cleaned_data["name"],
            "events": self.cleaned_data["events"],
        }
        if self.cleaned_data.get("url"):
            data["url"] = self.cleaned_data["url"]
        return data
