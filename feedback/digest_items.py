"""What a digest holds (sections of items, regrouped under their deals) and who adds sections."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import timezone

from feedback.emails import absolute, deal_url, email_date
from handoff.models import Role, User


@dataclass(frozen=True)
class DealRef:
    """The deal an item is about: the digest lists each deal's items under one heading."""

    pk: int
    title: str
    client: str
    url: str

    @classmethod
    def of(cls, deal: Any) -> "DealRef":
        return cls(deal.pk, str(deal), str(deal.client), absolute(deal_url(deal)))


@dataclass
class Item:
    text: str
    url: str = ""
    detail: str = ""
    deal: DealRef | None = None
    when: str = ""
    # The notifications (kind, path) this item already tells, so the digest says it once.
    reports: frozenset[tuple[str, str]] = frozenset()


@dataclass
class Section:
    title: str
    items: list[Item] = field(default_factory=list)
    empty: str = "Nothing new."


@dataclass
class DealGroup:
    deal: DealRef
    items: list[Item]


@dataclass
class Digest:
    user: User
    period: str
    since: datetime
    sections: list[Section]
    day: date = field(default_factory=timezone.localdate)

    @property
    def has_news(self) -> bool:
        return any(section.items for section in self.sections)

    @property
    def subject(self) -> str:
        return f"{self.period.capitalize()} digest: {email_date(self.day)}"

    @property
    def since_label(self) -> str:
        return email_date(self.since)

    @property
    def deal_groups(self) -> list[DealGroup]:
        """Every item about a deal, under that deal: deals in the order they first come up."""
        groups: dict[int, DealGroup] = {}
        for section in self.sections:
            for item in section.items:
                if item.deal is not None:
                    groups.setdefault(item.deal.pk, DealGroup(item.deal, [])).items.append(item)
        return list(groups.values())

    @property
    def other_sections(self) -> list[Section]:
        """The sections as they read without their deals' items; one left empty by that goes."""
        sections = []
        for section in self.sections:
            items = [item for item in section.items if item.deal is None]
            if items or not section.items:
                sections.append(Section(section.title, items, section.empty))
        return sections

    @property
    def item_count(self) -> int:
        return sum(len(section.items) for section in self.sections)


# role -> functions (user, since) -> Section. Other apps add theirs with `digest_section`.
SECTIONS: dict[str, list[Callable[[User, datetime], Section]]] = {
    Role.SALES: [],
    Role.PM: [],
    Role.MANAGER: [],
    Role.ADMIN: [],
}


def digest_section(*roles: str) -> Callable:
    def register(func: Callable[[User, datetime], Section]) -> Callable:
        for role in roles:
            SECTIONS[role].append(func)
        return func

    return register


# role -> functions (today) -> Sections a weekly digest adds after the role's own (the
# managers' sync agenda). Other apps add theirs from their apps.py.
WEEKLY_SECTIONS: dict[str, list[Callable[[date], list[Section]]]] = {role: [] for role in SECTIONS}
