"""Text made safe for places that hold one line: email subjects and other headers."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def single_line(text: object, limit: int = 200) -> str:
    """`text` on one line: control and line-separator characters become spaces, runs of space
    fold into one, and the result is cut to `limit` characters."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in str(text)
    )
    return _SPACES.sub(" ", cleaned).strip()[:limit]
