"""Plain JSON with Decimal, datetime and date tagged so they read back as themselves."""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

TAGS: dict[str, Callable[[str], Any]] = {
    "$decimal": Decimal,
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
}
# Wraps a one-key dict whose key is a tag, so it reads back as the dict it was.
PLAIN = "$dict"


def encode(value: Any) -> Any:
    """Plain JSON, with Decimal, datetime and date tagged so they come back as themselves."""
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):  # before date: a datetime is a date
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        encoded = {str(k): encode(v) for k, v in value.items()}
        if len(encoded) == 1 and next(iter(encoded)) in {*TAGS, PLAIN}:
            return {PLAIN: encoded}  # a dict that only looks like a tag stays a dict
        return encoded
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, text),) = value.items()
            if tag in TAGS:
                return TAGS[tag](text)
            if tag == PLAIN:
                return {k: decode(v) for k, v in text.items()}
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value
