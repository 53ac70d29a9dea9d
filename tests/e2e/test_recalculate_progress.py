"""Recalculate now in a real browser: the progress block polls until the worker is done.

The job is queued and left for the worker, which this test plays: the page shows it queued,
then running with its percentage, then "Recalculated at" with a link to reload the figures.
"""

import re

from playwright.sync_api import expect

from handoff.models import MetricsSnapshot, Role
from insights import recalculate
from insights.figures.window import default_range, window_for
from tests.factories import PASSWORD, UserFactory


def test_the_progress_polls_until_the_figures_are_recalculated(page, login, axe_violations):
    manager = UserFactory(username="lead", role=Role.MANAGER, first_name="Morgan", last_name="Lee")
    # Queued for a worker that has not taken it yet: the button follows this job.
    job = recalculate.recalculation_start(
        window=window_for(*default_range()), actor=manager, enqueue=lambda key, run: None
    )
    run = MetricsSnapshot.objects.get(key=job.key).payload["run"]

    login(page, "lead", PASSWORD)
    page.goto("/dashboard/")
    page.get_by_role("button", name="Recalculate now").click()
    progress = page.locator("#recalculate")
    expect(progress).to_contain_text("Recalculation queued, waiting for a worker: 0 %")
    expect(progress.get_by_role("progressbar")).to_have_attribute("value", "0")
    assert axe_violations(page) == []

    recalculate._advance(job.key, run, status=recalculate.RUNNING, percent=40)
    expect(progress).to_contain_text("Recalculating the figures: 40 %")

    recalculate._advance(job.key, run, status=recalculate.QUEUED)  # for the worker to claim it
    assert recalculate.recalculation_run(key=job.key, run=run) == recalculate.DONE
    expect(progress).to_contain_text(
        re.compile(r"Recalculated at \w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d\.")
    )
    page.get_by_role("link", name="Reload the figures").click()
    expect(page.get_by_role("heading", name="Alignment dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Recalculate now")).to_be_visible()
