"""The folder of a `filemail://` EMAIL_URL, absolute when written absolute.

django-environ reads `filemail:///var/mail` as `var/mail` (it drops the path's leading slash,
as it does for a database name), which puts the mail under the working directory instead.
"""

from pathlib import Path
from urllib.parse import unquote, urlsplit


def mail_folder(url: str, *, base: Path, default: Path) -> str:
    """`filemail:///srv/mail` is /srv/mail, `filemail://var/mail` is base/var/mail."""
    parts = urlsplit(url)
    path = unquote(parts.netloc + parts.path)
    if not path:
        return str(default)
    return str(Path(path) if path.startswith("/") else base / path)
