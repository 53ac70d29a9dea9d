"""A manager reads the alignment dashboard, narrows its range, exports a table and opens the agenda."""

import datetime
import re
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from deals.models import CommitmentKind, VerdictKind
from handoff.models import Role
from tests.factories import PASSWORD, UserFactory
from tests.insights.crafted import make_deal, review


def test_manager_reads_the_dashboard_and_opens_the_agenda(page, login, axe_violations):
    manager = UserFactory(username="lead", role=Role.MANAGER, first_name="Morgan")
    rep = UserFactory(username="rita", role=Role.SALES, first_name="Rita", last_name="Reyes")
    pm = UserFactory(username="priya", role=Role.PM, first_name="Priya", last_name="Mehta")
    flagged = make_deal(rep, [(CommitmentKind.SCOPE, "8"), (CommitmentKind.TIMELINE, "4")])
    review(flagged, pm, [VerdictKind.FLAGGED, VerdictKind.APPROVED])
    review(make_deal(rep), pm, [VerdictKind.APPROVED], decide=False)

    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    login(page, manager.username, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Alignment dashboard", level=1)).to_be_visible()
    assert axe_violations(page) == []
    assert errors == []  # no script error, no Content-Security-Policy violation

    today = timezone.localdate()
    page.get_by_label("From").fill((today - datetime.timedelta(days=29)).isoformat())
    page.get_by_label("To").fill(today.isoformat())
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(
        f"/dashboard/?from={today - datetime.timedelta(days=29)}&to={today}&team="
    )
    expect(page.get_by_text("(30 days)")).to_be_visible()

    # The headline figures come first, each with how it moved on the previous 30 days.
    flag_rate = page.locator('[data-figure="flag_rate"]')
    expect(flag_rate.locator(".count")).to_have_text("33 %")
    expect(flag_rate.get_by_text("nothing to compare in the previous 30 days")).to_be_visible()

    # A chart has its data behind a toggle that works without JavaScript.
    capacity = page.get_by_role("region", name=re.compile("^Pipeline effort against delivery"))
    expect(
        capacity.get_by_role("img", name=re.compile("^Chart of pipeline effort"))
    ).to_be_visible()
    assert page.evaluate(
        "() => Boolean(window.Chart && Chart.getChart(document.querySelector('canvas[data-chart=\"chart-pipeline-capacity\"]')))"
    )
    expect(capacity.get_by_role("table")).to_be_hidden()
    capacity.get_by_text("Data table").click()
    expect(capacity.get_by_role("table").get_by_role("row")).to_have_count(13)

    # One rep is not a chart of one bar: the rows are shown as a table.
    section = page.get_by_role("region", name="Flag rate by rep")
    expect(section.get_by_role("img")).to_have_count(0)
    table = section.get_by_role("table")
    expect(table.get_by_role("row", name="Rita Reyes 3 1 33 %")).to_be_visible()

    with page.expect_download() as download_info:
        section.get_by_role("link", name="Download CSV of flag rate by rep").click()
    download = download_info.value
    assert download.suggested_filename.startswith("flag-rate-by-rep-")
    content = Path(download.path()).read_text(encoding="utf-8-sig").splitlines()
    assert content == ["Rep,Verdicts,Flagged,Flag rate (%)", "Rita Reyes,3,1,33.3"]

    # Figures are stored; a manager who cannot wait for the next refresh recalculates them.
    in_review = page.locator('[data-figure="deals_in_review"] .count')
    expect(in_review).to_have_text("1")
    review(make_deal(rep), pm, [VerdictKind.APPROVED], decide=False)
    page.reload()
    expect(in_review).to_have_text("1")
    expect(page.get_by_text("Figures computed at")).to_be_visible()
    page.get_by_role("button", name="Recalculate now").click()
    expect(page.get_by_text("Recalculated at")).to_be_visible()
    page.get_by_role("link", name="Reload the figures").click()
    expect(in_review).to_have_text("2")
    expect(page).to_have_url(f"/dashboard/?from={today - datetime.timedelta(days=29)}&to={today}")

    page.get_by_role("link", name="Weekly sync agenda").click()
    expect(page.get_by_role("heading", name="Weekly sync agenda", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    waiting = page.get_by_role("region", name="Deals waiting for review, oldest first")
    expect(waiting.get_by_role("row")).to_have_count(3)
    expect(page.get_by_role("region", name="Decisions of the past week")).to_contain_text(
        "Changes requested"
    )
    assert axe_violations(page) == []
