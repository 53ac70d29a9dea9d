"""Reads of API tokens: a user sees their own, and finds a token by its secret."""

from django.db.models import Case, IntegerField, QuerySet, Value, When

from handoff.models import User
from handoff.token_models import ApiToken


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, not revoked first, then newest first."""
    if not getattr(user, "is_authenticated", False):
        return ApiToken.objects.none()
    return (
        ApiToken.objects.filter(user=user)
        .annotate(
            revoked_last=Case(
                When(revoked_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("revoked_last", "-created_at", "-id")
    )


def api_token_by_hash(key_hash: str) -> ApiToken | None:
    """The token of that secret's hash with its user, in one query; None if there is none."""
    return ApiToken.objects.select_related("user").filter(key_hash=key_hash).first()
