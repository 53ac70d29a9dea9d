"""The weekly sync in a real browser by labels, on a phone (390x844) and a laptop (1366x900):
a manager starts the week's meeting, decides two items (one by reassigning a review from the
meeting page), adds an action item for a rep and closes the meeting; the rep finds the action
item on their home page and marks it done. Every page fits the width; axe finds nothing serious."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deals.models import DealStatus, ReviewRound
from handoff.models import Role
from meetings import services
from meetings.models import ActionItem, Meeting
from tests.deals.builders import deal_in
from tests.factories import PASSWORD, UserFactory

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


def change_user(page, login, username: str) -> None:
    page.context.clear_cookies()
    login(page, username, PASSWORD)


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_a_manager_runs_the_weekly_sync_and_the_rep_closes_the_action_item(
    page, login, axe_violations, size
):
    rep = UserFactory(username="rep", role=Role.SALES, first_name="Rita", last_name="Reyes")
    pm = UserFactory(username="pm", role=Role.PM, first_name="Priya", last_name="Mehta")
    UserFactory(username="pm2", role=Role.PM, first_name="Tom", last_name="Berg")
    UserFactory(username="manager", role=Role.MANAGER, first_name="Morgan", last_name="Lee")
    in_review = deal_in(DealStatus.IN_REVIEW, owner=rep, pm=pm)
    flagged = deal_in(DealStatus.CHANGES_REQUESTED, owner=rep, pm=pm)
    services.weekly_meetings_prepare()
    page.set_viewport_size(size)
    problems: list[str] = []

    def check(where: str) -> None:
        page.wait_for_load_state()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > size["width"]:
            problems.append(f"{where} at {size['width']} px is {width} px wide")
        if violations := axe_violations(page):
            problems.append(f"{where} at {size['width']} px: {violations!r}")

    # The manager goes from the sync agenda to this week's meeting and starts it.
    login(page, "manager", PASSWORD)
    page.goto("/dashboard/agenda/")
    page.get_by_role("main").get_by_role("link", name="Meetings", exact=True).click()
    expect(page.get_by_role("heading", name="Meetings", level=1)).to_be_visible()
    check("meetings")
    page.get_by_role("region", name="Coming up and running").get_by_role(
        "link", name=re.compile("Weekly sync")
    ).click()
    check("meeting ready to start")
    page.get_by_role("button", name="Start meeting").click()
    dialog = page.get_by_role("dialog", name="Start this meeting?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Start meeting").click()
    expect(page.get_by_text("The meeting has started")).to_be_visible()

    # Item 1, the deal waiting for review: decided by handing the review to Tom.
    item = page.get_by_role("article", name=in_review.title)
    expect(item.get_by_text("Item 1 of")).to_be_visible()
    check("running meeting")
    item.get_by_label("Decision").fill("Tom has the time this week.")
    item.get_by_label("Reassign the review to").select_option(label="Tom Berg (project manager)")
    item.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("Review reassigned to Tom Berg")).to_be_visible()

    # Item 2, the deal with open flags: a decision note.
    item = page.get_by_role("article", name=flagged.title)
    expect(item.get_by_text("Item 2 of")).to_be_visible()
    item.get_by_label("Decision").fill("Rita answers the flag by Friday.")
    item.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("Decided item 2.")).to_be_visible()

    # Back to item 2 from the keyboard, and an action item for the rep on it.
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("article", name=flagged.title)).to_be_visible()
    page.locator("summary", has_text="Add action item").click()
    page.get_by_label("What").fill("Send the revised staffing plan")
    page.get_by_label("Owner").select_option(label="Rita Reyes (sales rep)")
    due = timezone.localdate() + datetime.timedelta(days=3)
    page.get_by_label("Due").fill(due.isoformat())
    page.get_by_role("button", name="Add action item").click()
    expect(page.get_by_text("Action item added for Rita Reyes")).to_be_visible()

    # Closing records who attended and sends the minutes.
    page.get_by_role("button", name="Close meeting", exact=True).click()
    expect(page.get_by_role("heading", name="Close the meeting?")).to_be_visible()
    check("close meeting")
    page.get_by_role("button", name="Close meeting and send the minutes").click()
    expect(page.get_by_text("Meeting closed")).to_be_visible()
    expect(page.get_by_text("Tom has the time this week.")).to_be_visible()
    expect(page.get_by_text("Rita answers the flag by Friday.")).to_be_visible()
    check("minutes")
    meeting = Meeting.objects.get()
    assert meeting.status == "closed"
    assert ReviewRound.objects.get(deal=in_review, decided_at__isnull=True).reviewer.username == (
        "pm2"
    )

    # The rep finds it on their home page and marks it done.
    change_user(page, login, "rep")
    card = page.get_by_role("article", name="My action items")
    expect(card.get_by_text("Send the revised staffing plan")).to_be_visible()
    check("rep home")
    card.get_by_role("link", name="My action items").click()
    expect(page.get_by_role("heading", name="Action items", level=1)).to_be_visible()
    check("action items")
    row = page.get_by_role("row", name=re.compile("Send the revised staffing plan"))
    row.get_by_role("button", name=re.compile("^Mark done")).click()
    expect(page.get_by_text("Marked done: Send the revised staffing plan")).to_be_visible()
    action = ActionItem.objects.get()
    assert action.status == "done" and action.closed_by == rep
    assert not problems, "\n".join(problems)
