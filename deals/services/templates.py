"""Deal templates: managers define a name and its standard commitments; reps start from them."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from deals import rules
from deals.models import DealTemplate, TemplateCommitment
from deals.services._workflow import _clean
from handoff.models import User

TEMPLATE_COMMITMENT_FIELDS = ("kind", "summary", "effort_days", "offset_days")
TAKEN = "A template with this name already exists."


@transaction.atomic
def deal_template_save(
    *,
    actor: User,
    name: str,
    commitments: list[dict[str, Any]],
    template: DealTemplate | None = None,
) -> DealTemplate:
    """Create a template, or replace the name and commitments of `template`."""
    rules.can_manage_templates(actor).enforce()
    name = (name or "").strip()
    if len(commitments) > settings.MAX_COMMITMENTS_PER_DEAL:
        raise ValidationError(
            {"commitments": f"At most {settings.MAX_COMMITMENTS_PER_DEAL} commitments."}
        )
    others = DealTemplate.objects.filter(name__iexact=name)
    if template is not None:
        template = DealTemplate.objects.select_for_update().get(pk=template.pk)
        others = others.exclude(pk=template.pk)
    if others.exists():
        raise ValidationError({"name": TAKEN})
    if template is None:
        template = DealTemplate(created_by=actor)
    template.name, template.updated_at = name, timezone.now()
    _clean(template)
    items = [
        TemplateCommitment(
            template=template, **{k: v for k, v in item.items() if k in TEMPLATE_COMMITMENT_FIELDS}
        )
        for item in commitments
    ]
    for item in items:
        _clean(item, exclude=["template"])
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as error:
        raise ValidationError({"name": TAKEN}) from error
    template.commitments.all().delete()
    for item in items:
        item.template = template
    TemplateCommitment.objects.bulk_create(items)
    return template


@transaction.atomic
def deal_template_delete(*, actor: User, template: DealTemplate) -> None:
    rules.can_manage_templates(actor).enforce()
    DealTemplate.objects.filter(pk=template.pk).delete()
