"""A confirmation built in a template, for pages whose view does not build one (handoff.web.confirm).

`{% confirmation "goal" goal.pk question="Delete this goal?" url=delete_url label="Delete goal"
as confirm %}` then `{% include "partials/confirm_dialog.html" %}`.
"""

from django import template

from handoff.web.confirm import Confirmation

register = template.Library()


@register.simple_tag
def confirmation(*key: object, question: str, url: str, label: str, **options: str) -> Confirmation:
    """The key parts are joined into the dialog's key; options are Confirmation's other fields."""
    return Confirmation(
        key="-".join(str(part) for part in key),
        question=question,
        url=url,
        label=label,
        cancel_url=options.pop("cancel_url", ""),
        **options,
    )
