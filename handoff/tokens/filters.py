"""The filter of the API's token list: by status (live, expired, revoked)."""

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from handoff.token_models import ApiToken, TokenStatus


def tokens_in_status(queryset: QuerySet[ApiToken], status: str) -> QuerySet[ApiToken]:
    now = timezone.now()
    if status == TokenStatus.REVOKED:
        return queryset.filter(revoked_at__isnull=False)
    if status == TokenStatus.EXPIRED:
        return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
    return queryset.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked_at=None)


class ApiTokenFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=TokenStatus.choices,
        method="by_status",
        help_text="live: works now; expired: past its expiry; revoked: revoked.",
    )

    class Meta:
        model = ApiToken
        fields = ["status"]

    def by_status(self, queryset, name, value):
        return tokens_in_status(queryset, value)
