"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Fixtures: `browser` (one for all the browser tests), `page` (a fresh context per test, screenshot kept in
test-artifacts/ when the test fails), `login(page, username, password)` and
`axe_violations(page)`. Live-server tests use a transactional database, so create the
users inside each test (tests.factories.UserFactory, password tests.factories.PASSWORD).
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.policy import CHROMIUM_PATH, chromium_available, missing

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 10_000
AXE_SOURCE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def browser() -> Iterator:
    """One Chromium for all the browser tests, closed when they are done.

    Playwright's sync API keeps an event loop running in this thread, which Django's ORM
    refuses unless DJANGO_ALLOW_ASYNC_UNSAFE is set. It is set only while the browser is
    open, so the rest of the run, and the processes it starts, keep Django's protection.
    """
    if not chromium_available():
        missing(
            f"{CHROMIUM_PATH} is missing; install Debian's chromium (scripts/ensure-chromium.sh)"
        )
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM_PATH), headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _artifact_path(item: pytest.Item) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name).strip("_")
    return Path(item.config.rootpath) / "test-artifacts" / f"{name}.png"


@pytest.fixture
def page(browser, live_server, request: pytest.FixtureRequest) -> Iterator:
    # Reduced motion turns Pico's transitions off, so checks never see a page mid-fade.
    context = browser.new_context(base_url=live_server.url, reduced_motion="reduce")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        path = _artifact_path(request.node)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(path), full_page=True)
            print(f"Screenshot of the failing page: {path}")
        except Exception as error:  # the page may be gone; the test's own failure matters more
            print(f"No screenshot of the failing page: {error}")
    context.close()


@pytest.fixture
def login() -> Callable:
    """login(page, username, password): sign in through the login form, as a person would."""

    def sign_in(page, username: str, password: str) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()

    return sign_in


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


@pytest.fixture
def axe_violations(axe_source: str) -> Callable:
    """axe_violations(page, impacts=("serious", "critical")) -> axe-core's violations of those impacts.

    The script is evaluated through the DevTools protocol rather than added as a <script>
    tag: our Content-Security-Policy forbids inline scripts, and it should stay on.
    """

    def run(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(f"() => {{ {axe_source}\n }}")
        violations = page.evaluate(
            "async () => (await window.axe.run(document, {resultTypes: ['violations']})).violations"
        )
        return Violations(v for v in violations if v.get("impact") in impacts)

    return run


class Violations(list):
    """axe-core violations that print as one readable line each in a failed assertion."""

    def __repr__(self) -> str:
        lines = []
        for violation in self:
            targets = ", ".join(str(node.get("target")) for node in violation.get("nodes", []))
            lines.append(
                f"{violation['impact']}: {violation['id']}: {violation['help']} [{targets}]"
            )
        return "\n".join(lines) or "[]"
