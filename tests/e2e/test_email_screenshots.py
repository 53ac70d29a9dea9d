"""Every email kind in Chromium at a desktop mail pane's width and a phone's: it fits, its button shows.

With SCREENSHOTS_DIR set, each is saved there as email-<kind>-<width>.png (docs/screenshots/
holds the committed ones).
"""

import os
from pathlib import Path

import pytest

from feedback import emails
from tests.feedback.test_emails_gallery import DIGEST_KINDS, OTHER_EMAILS, render_gallery

# The module's world is built once, outside any test; the mark has the test database made.
pytestmark = pytest.mark.django_db

WIDTHS = (600, 390)
KINDS = (*emails.ACTIONS, *DIGEST_KINDS, *OTHER_EMAILS)


@pytest.fixture(scope="module")
def gallery(django_db_setup, django_db_blocker) -> dict[str, emails.RenderedEmail]:
    return render_gallery(django_db_blocker)


def _button_label(kind: str) -> str:
    if kind in DIGEST_KINDS:
        return "Open Handoff"
    return OTHER_EMAILS.get(kind) or emails.ACTIONS[kind]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", KINDS)
def test_the_email_fits_and_shows_its_button(browser, gallery, axe_violations, kind, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.set_content(gallery[kind].html_body, wait_until="load")
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{kind} scrolls sideways at {width}px ({scroll_width}px)"
        button = page.get_by_role("link", name=_button_label(kind), exact=True)
        assert button.is_visible()
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        assert box["height"] >= 40, "the button is big enough to tap"
        assert axe_violations(page) == []
        if os.environ.get("SCREENSHOTS_DIR"):
            folder = Path(os.environ["SCREENSHOTS_DIR"])
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / f"email-{kind}-{width}.png"), full_page=True)
    finally:
        context.close()
