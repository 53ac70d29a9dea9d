"""A chat message in each chat's own format: Slack's incoming webhook JSON (which Mattermost and
Rocket.Chat read too) and a Microsoft Teams Adaptive Card."""

from typing import Any

from feedback.webhooks_models import ChatKind
from feedback.webhooks_payloads import ChatMessage


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn reads &, < and > as markup: https://api.slack.com/reference/surfaces/formatting."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(message: ChatMessage) -> dict[str, Any]:
    """`text` is the notification and fallback; `blocks` the message as shown."""
    text = _slack_escape(message.text)
    link = f"<{message.link}|{_slack_escape(message.link_label)}>"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
    ]
    if message.facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{_slack_escape(name)}*\n{_slack_escape(value)}"}
                    for name, value in message.facts[:10]
                ],
            }
        )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": link}]})
    return {"text": f"{text} {link}", "blocks": blocks}


def teams(message: ChatMessage) -> dict[str, Any]:
    """An Adaptive Card in a message, as a Teams workflow's incoming webhook takes it."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": message.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {"type": "TextBlock", "text": message.text, "wrap": True},
    ]
    if message.facts:
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": name, "value": value} for name, value in message.facts],
            }
        )
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": message.link_label, "url": message.link}],
    }
    return {
        "type": "message",
        "summary": message.title,
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


FORMATS = {ChatKind.SLACK: slack, ChatKind.TEAMS: teams}


def render(kind: str, message: ChatMessage) -> dict[str, Any]:
    return FORMATS[kind](message)
