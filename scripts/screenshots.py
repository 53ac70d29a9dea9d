"""Screenshots of the main pages and of every email into docs/screenshots/ (`make screenshots`).

The pages come from the production-like server of scripts/demo_server.py (the demo data, DEBUG
off, gunicorn), in Debian's Chromium through Playwright, at a laptop's 1366x900 and a phone's
390x844, as page-<name>-<desktop|phone>.png, each the whole page (a phone's cut after six
screens). The emails come from tests/e2e/test_email_screenshots.py, as email-<kind>-<width>.png.
Every PNG is then stored with a palette of 256 colours (Pillow), about a third of its size.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import demo_server

OUT = demo_server.ROOT / "docs" / "screenshots"
CHROMIUM = Path(os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {"desktop": (1366, 900), "phone": (390, 844)}
# A phone's shot is cut after this many screens: enough to show the layout, small as a file.
PHONE_SCREENS = 6
SEARCH = "/search/?q=wine"


def pages(found: dict[str, str]) -> list[tuple[str, str, str]]:
    """(name, signed-in user, path) of each page shot."""
    return [
        ("home-rep", "rep", "/"),
        ("home-pm", "pm", "/"),
        ("home-manager", "manager", "/"),
        ("deal-list", "manager", "/deals/"),
        ("deal-in-review", "pm", found["deal_in_review"]),
        ("deal-form", "rep", "/deals/new/"),
        ("review-queue", "pm", "/deals/queue/"),
        ("review-rules", "manager", "/deals/review-rules/"),
        ("project", "pm", found["project"]),
        ("feedback-inbox", "pm", "/feedback/?tab=team"),
        ("notifications", "pm", "/feedback/notifications/"),
        ("dashboard", "manager", "/dashboard/"),
        ("sync-agenda", "manager", "/dashboard/agenda/"),
        ("settings", "pm", "/settings/"),
        ("search", "manager", SEARCH),
    ]


def _shoot(browser, base_url: str, cookies: dict[str, str], path: str, name: str) -> list[Path]:
    written = []
    for form, (width, height) in VIEWPORTS.items():
        context = browser.new_context(
            viewport={"width": width, "height": height},
            is_mobile=form == "phone",
            has_touch=form == "phone",
            reduced_motion="reduce",
        )
        context.add_cookies(
            [{"name": key, "value": value, "url": base_url} for key, value in cookies.items()]
        )
        page = context.new_page()
        answer = page.goto(f"{base_url}{path}", wait_until="networkidle")
        if answer is None or answer.status != 200:
            sys.exit(f"{path} answered {answer.status if answer else 'nothing'} for {name}.")
        page.wait_for_timeout(300)  # charts and fonts settle after the last request
        target = OUT / f"page-{name}-{form}.png"
        full_height = page.evaluate("() => document.documentElement.scrollHeight")
        if form == "phone" and full_height > PHONE_SCREENS * height:
            page.screenshot(
                path=str(target),
                full_page=True,
                clip={"x": 0, "y": 0, "width": width, "height": PHONE_SCREENS * height},
            )
        else:
            page.screenshot(path=str(target), full_page=True)
        written.append(target)
        context.close()
    return written


def shoot_pages() -> list[Path]:
    from playwright.sync_api import sync_playwright

    found = demo_server.prepare()
    for old in OUT.glob("page-*.png"):
        old.unlink()
    written = []
    with demo_server.serve() as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        sessions: dict[str, dict[str, str]] = {}
        for name, user, path in pages(found):
            if user not in sessions:
                sessions[user] = demo_server.log_in(base_url, user)
            written += _shoot(browser, base_url, sessions[user], path, name)
            print(f"  {name} ({user}, {path})", flush=True)
        browser.close()
    return written


def shoot_emails() -> None:
    """The email gallery's browser test, saving each email it checks."""
    env = {
        **os.environ,
        "SCREENSHOTS_DIR": str(OUT),
        "SECRET_KEY": f"test-only-secret-{int(time.time())}-not-for-production",
        "DEBUG": "false",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    command = [
        str(demo_server.VENV_BIN / "pytest"),
        "tests/e2e/test_email_screenshots.py",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    result = subprocess.run(command, cwd=demo_server.ROOT, env=env, check=False)  # noqa: S603
    if result.returncode != 0:
        sys.exit("The email screenshots' test failed.")


def optimise(path: Path) -> None:
    """Store a screenshot with 256 colours: UI text and flat colours lose nothing a reader sees."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    small.save(path, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages-only", action="store_true", help="skip the emails")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium (or set CHROME_PATH).")
    OUT.mkdir(parents=True, exist_ok=True)
    written = shoot_pages()
    if not args.pages_only:
        print("Emails (tests/e2e/test_email_screenshots.py)…", flush=True)
        shoot_emails()
    for path in sorted(OUT.glob("*.png")):
        optimise(path)
    sizes = sorted((path.stat().st_size, path.name) for path in written)
    print(
        f"\n{len(written)} page screenshots in {OUT.relative_to(demo_server.ROOT)}/,"
        f" {sum(size for size, _ in sizes) // 1024} KB in all; largest:"
    )
    for size, name in sizes[-3:]:
        print(f"  {name}: {size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
