"""Lighthouse scores of the main pages on a production-like server with the demo data (`make lighthouse`).

From scratch each time: installs the pinned Lighthouse of tools/lighthouse/ (npm ci) when it is
missing, seeds the demo data, collects the static files, serves them with gunicorn and DEBUG
off on 127.0.0.1, signs in, runs Lighthouse's mobile preset in Debian's Chromium against each
page, prints a table and stops the server. Exits 1 when a page misses a target.
Reports (HTML and JSON) are left in var/lighthouse/.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import demo_server

TOOLS = demo_server.ROOT / "tools" / "lighthouse"
CLI = TOOLS / "node_modules" / "lighthouse" / "cli" / "index.js"
REPORTS = demo_server.ROOT / "var" / "lighthouse"
CHROMIUM = Path(os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
CATEGORIES = ("performance", "accessibility", "best-practices")
TARGETS = {"performance": 90, "accessibility": 100, "best-practices": 100}
# Headless Debian Chromium that asks nothing of any other host: no updates, sync, safe
# browsing or field trials.
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"
    " --disable-background-networking --disable-component-update --disable-sync"
    " --disable-default-apps --disable-extensions --disable-domain-reliability"
    " --disable-client-side-phishing-detection --disable-field-trial-config"
    " --no-first-run --no-default-browser-check --metrics-recording-only"
)


def pages(found: dict[str, str]) -> list[tuple[str, str, str]]:
    """(name, signed-in user, path) of each page measured."""
    return [
        ("deal page, in review", "pm", found["deal_in_review"]),
        ("dashboard", "manager", "/dashboard/"),
        ("deal list", "pm", "/deals/"),
        ("review queue", "pm", "/deals/queue/"),
        ("project page", "pm", found["project"]),
    ]


def _pinned_version() -> str:
    return json.loads((TOOLS / "package.json").read_text())["dependencies"]["lighthouse"]


def ensure_lighthouse() -> None:
    """npm ci of tools/lighthouse/ unless the pinned version is already installed there."""
    installed = CLI.parent.parent / "package.json"
    if installed.exists() and json.loads(installed.read_text())["version"] == _pinned_version():
        return
    if shutil.which("npm") is None:
        sys.exit("npm is missing: install Node.js (apt-get install nodejs npm).")
    print(f"Installing Lighthouse {_pinned_version()} into tools/lighthouse/…", flush=True)
    # No install scripts: nothing may download a browser or call home at install time.
    subprocess.run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],  # noqa: S607 - npm from PATH
        cwd=TOOLS,
        check=True,
    )


def run_lighthouse(url: str, cookies: dict[str, str], output: Path) -> dict:
    """One Lighthouse run (mobile, simulated throttling); its JSON result."""
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    env = {**os.environ, "CHROME_PATH": str(CHROMIUM)}
    command = [
        "node",
        str(CLI),
        url,
        f"--only-categories={','.join(CATEGORIES)}",
        "--form-factor=mobile",
        "--throttling-method=simulate",
        "--output=json",
        "--output=html",
        f"--output-path={output}",
        f"--extra-headers={json.dumps({'Cookie': cookie})}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--no-enable-error-reporting",
        "--quiet",
    ]
    report = output.with_suffix(".report.json")
    # On a busy machine Chromium now and then loses the trace (NO_NAVSTART); a new run is the cure.
    for _attempt in range(3):
        result = subprocess.run(  # noqa: S603 - our own command line
            command, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode == 0 and report.exists():
            return json.loads(report.read_text())
        print(f"  Lighthouse failed on {url}, running it again…", flush=True)
    sys.exit(f"Lighthouse failed three times on {url}:\n{result.stderr[-3000:]}")


def _outside_requests(report: dict, base_url: str) -> list[str]:
    """Requests the page made to any host but the server under test (there must be none)."""
    items = report["audits"]["network-requests"]["details"]["items"]
    return [
        item["url"]
        for item in items
        if not item["url"].startswith((f"{base_url}/", "data:", "blob:"))
    ]


def _scores(report: dict) -> dict[str, int]:
    return {key: round(report["categories"][key]["score"] * 100) for key in CATEGORIES}


def _failing_audits(report: dict) -> list[str]:
    """The scored audits of the categories that fell short, worst first."""
    lines = []
    for key in CATEGORIES:
        category = report["categories"][key]
        if category["score"] * 100 >= TARGETS[key]:
            continue
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
                value = audit.get("displayValue", "")
                lines.append(f"    {key}: {audit['id']} ({audit['score']:.2f}) {value}".rstrip())
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per page; the median run is kept (default 3)"
    )
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium (or set CHROME_PATH).")
    if shutil.which("node") is None:
        sys.exit("node is missing: install Node.js (apt-get install nodejs npm).")
    ensure_lighthouse()
    found = demo_server.prepare()
    shutil.rmtree(REPORTS, ignore_errors=True)
    REPORTS.mkdir(parents=True)
    rows = []
    with demo_server.serve() as base_url:
        sessions: dict[str, dict[str, str]] = {}
        for name, user, path in pages(found):
            if user not in sessions:
                sessions[user] = demo_server.log_in(base_url, user)
            runs = []
            for run in range(1, args.runs + 1):
                slug = name.replace(",", "").replace(" ", "-")
                report = run_lighthouse(
                    f"{base_url}{path}", sessions[user], REPORTS / f"{slug}-{run}"
                )
                outside = _outside_requests(report, base_url)
                if outside:
                    sys.exit(f"{name} asked another host: {', '.join(outside)}")
                runs.append(report)
                print(f"  {name} ({user}), run {run}: {_scores(report)}", flush=True)
            # The run of median performance, as Lighthouse's own advice on variability says.
            median = statistics.median_low(_scores(report)["performance"] for report in runs)
            kept = next(report for report in runs if _scores(report)["performance"] == median)
            rows.append((name, user, path, kept))
    print()
    print(f"Lighthouse {_pinned_version()}, mobile, simulated throttling, median of {args.runs}")
    print(
        f"{'page':<22} {'as':<8} {'performance':>11} {'accessibility':>13} {'best practices':>14}"
    )
    missed = []
    for name, user, path, report in rows:
        scores = _scores(report)
        print(
            f"{name:<22} {user:<8} {scores['performance']:>11} {scores['accessibility']:>13}"
            f" {scores['best-practices']:>14}"
        )
        below = _failing_audits(report)
        if below:
            missed.append((name, path, below))
    for name, path, below in missed:
        print(f"\n{name} ({path}) misses a target:")
        print("\n".join(below))
    print(f"\nReports: {REPORTS.relative_to(demo_server.ROOT)}/")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
