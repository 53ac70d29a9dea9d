"""The API's JSON parser: bounded in nesting, so a hostile body is a 400, not a 500.

Its own module: DRF imports the parser classes while it defines APIView, so this module
imports nothing that needs the views.
"""

import codecs
import re
from itertools import accumulate
from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.utils import json

# Deeper than any body the API takes (a deal, its commitments, their fields: 3 levels).
MAX_JSON_DEPTH = 32


class BoundedJSONParser(JSONParser):
    """JSON nested at most MAX_JSON_DEPTH deep.

    The json module recurses once per level: 100,000 nested `[` is a RecursionError. The
    size is bounded before: DRF reads the body through Django, which refuses one larger
    than DATA_UPLOAD_MAX_MEMORY_SIZE (handoff.api turns that into a 400).
    """

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        raw = stream.read()
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from error
        if _nesting_exceeds(text, MAX_JSON_DEPTH):
            raise exceptions.ParseError(
                f"JSON nested deeper than {MAX_JSON_DEPTH} levels.", code="too_deep"
            )
        try:
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from error


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_AS_STEPS = str.maketrans("[{]}", "(())")
_STEP = {ord("("): 1, ord(")"): -1}


def _nesting_exceeds(text: str, depth: int) -> bool:
    """Whether brackets outside strings ever stand more than `depth` open, as the parser
    would descend into them (closed or not); counted in one pass, without recursing."""
    if text.count("[") + text.count("{") <= depth:
        return False
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text)).translate(_AS_STEPS)
    if "(" * (depth + 1) in brackets:  # the usual attack, found in one search
        return True
    steps = map(_STEP.__getitem__, brackets.encode("ascii"))
    return max(accumulate(steps), default=0) > depth
