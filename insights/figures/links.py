"""Where a figure's rows are: the deal list filtered to them, or a named page."""

from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse


@lru_cache(maxsize=1)
def _deal_list_url() -> str:
    try:
        return reverse("deals:list")
    except NoReverseMatch:
        return "/deals/"


def deals_url(**params: Any) -> str:
    """The deal list filtered to the deals behind a figure."""
    base = _deal_list_url()
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


@lru_cache(maxsize=4096)
def url_for(name: str, *args: Any, fallback: str = "") -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return fallback
