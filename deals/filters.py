"""Filters of the deals lists (django-filter), applied on top of the user's visible rows.

`DealFilter` is the deal list's one filter: the page (/deals/, whose form draws its fields)
and the API (/api/v1/deals/) both filter through it, by `deals.selectors.deal_list`.
"""

import django_filters
from django.db.models import F, Lookup, Q, QuerySet

from deals.models import Client, Commitment, Deal, DealStatus, Escalation, ReviewRound, Verdict

# The deal list's sorts, each with the tie-breaker its index orders by; "-key" is the same
# index read backwards (the column headers turn a sort around).
SORTS = {
    "updated": ("Recently updated", ("-updated_at", "-id")),
    "close": ("Expected close date", ("expected_close_date", "id")),
    "value": ("Value, highest first", ("-value", "-id")),
    "title": ("Title, A to Z", ("title", "id")),
    "-updated": ("Least recently updated", ("updated_at", "id")),
    "-close": ("Expected close date, latest first", ("-expected_close_date", "-id")),
    "-value": ("Value, lowest first", ("value", "id")),
    "-title": ("Title, Z to A", ("-title", "-id")),
}


class InSubquery(Lookup):
    """`column IN (subquery)`, written on PostgreSQL as `column = ANY(ARRAY(subquery))`.

    PostgreSQL runs an ARRAY(...) subquery once, before the scan, and can then read the
    column's index even inside an OR; `IN (subquery)` under an OR is tested row by row.
    """

    lookup_name = "in_subquery"
    prepare_rhs = False

    def as_sql(self, compiler, connection, template="{lhs} IN {rhs}"):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return template.format(lhs=lhs, rhs=rhs), (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler, connection):
        return self.as_sql(compiler, connection, template="{lhs} = ANY(ARRAY{rhs})")


def deals_matching(
    deals: QuerySet[Deal], text: str, *, in_description: bool = False
) -> QuerySet[Deal]:
    """Deals whose title or client's name (or, if asked, description) contains `text`.

    Every condition is on the deal's own columns, the client's as a list of its ids, so that
    PostgreSQL combines one index per condition (the trigram indexes of migration 0004 and
    the client index) instead of joining every deal to its client to test the name.
    """
    text = text.strip()
    if not text:
        return deals
    clients = Client.objects.filter(name__icontains=text).order_by().values("pk")
    matches = Q(title__icontains=text) | Q(InSubquery(F("client_id"), clients))
    if in_description:
        matches |= Q(description__icontains=text)
    return deals.filter(matches)


def rounds_matching(rounds: QuerySet[ReviewRound], text: str) -> QuerySet[ReviewRound]:
    """Review rounds whose deal's title or client's name contains `text`: the queue's search."""
    text = text.strip()
    if not text:
        return rounds
    return rounds.filter(deal__in=deals_matching(Deal.objects.order_by(), text).values("pk"))


class _AnyOfChoices(django_filters.fields.MultipleChoiceField):
    """A blank choice means any: the page's "Any status" sends `status=`."""

    def clean(self, value):
        return super().clean([v for v in value or () if v not in ("", None)])


class _StatusFilter(django_filters.MultipleChoiceFilter):
    field_class = _AnyOfChoices


class DealFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Title or client")
    search = django_filters.CharFilter(method="filter_search", label="Title, client or description")
    # A column of the deal itself: no join can repeat a row, so no DISTINCT (which made the
    # database sort every matching deal, 0.2 s for the 21,000 won of 100,000).
    status = _StatusFilter(choices=DealStatus.choices, distinct=False)
    owner = django_filters.NumberFilter(field_name="owner_id", label="Owner (user id)")
    client = django_filters.NumberFilter(field_name="client_id", label="Client id")
    sort = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _) in SORTS.items()],
        method="filter_sort",
        empty_label=None,
        label="The page's sort (the API also takes ordering)",
    )

    class Meta:
        model = Deal
        fields = ["q", "search", "status", "owner", "client", "sort"]

    def filter_q(self, queryset: QuerySet[Deal], name: str, value: str) -> QuerySet[Deal]:
        return deals_matching(queryset, value)

    def filter_search(self, queryset: QuerySet[Deal], name: str, value: str) -> QuerySet[Deal]:
        return deals_matching(queryset, value, in_description=True)

    def filter_sort(self, queryset: QuerySet[Deal], name: str, value: str) -> QuerySet[Deal]:
        return queryset.order_by(*SORTS[value][1])


class CommitmentFilter(django_filters.FilterSet):
    deal = django_filters.NumberFilter(field_name="deal_id", label="Deal id")

    class Meta:
        model = Commitment
        fields = ["deal"]


class VerdictFilter(django_filters.FilterSet):
    deal = django_filters.NumberFilter(field_name="round__deal_id", label="Deal id")
    commitment = django_filters.NumberFilter(field_name="commitment_id", label="Commitment id")

    class Meta:
        model = Verdict
        fields = ["deal", "commitment"]


class EscalationFilter(django_filters.FilterSet):
    # A choice, not a BooleanFilter: that one reads any other word as "no filter".
    open = django_filters.ChoiceFilter(
        choices=[("true", "Only undecided"), ("false", "Only decided")],
        method="filter_open",
        label="Only undecided escalations (true) or only decided ones (false)",
    )
    deal = django_filters.NumberFilter(field_name="deal_id", label="Deal id")

    class Meta:
        model = Escalation
        fields = ["open", "deal"]

    def filter_open(
        self, queryset: QuerySet[Escalation], name: str, value: str
    ) -> QuerySet[Escalation]:
        return queryset.filter(decision="") if value == "true" else queryset.exclude(decision="")
