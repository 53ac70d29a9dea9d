"""Feedback notes and notifications as CSV: the reader's own, never another's."""

import csv
import io

import pytest
from django.urls import reverse

from tests.security.world import build_world


@pytest.fixture
def world(rep, rep2, pm, pm2, manager):
    return build_world({"rep": rep, "rep2": rep2, "pm": pm, "pm2": pm2, "manager": manager})


def rows_of(response) -> list[dict]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.django_db
def test_the_inbox_export_holds_only_notes_the_reader_may_see(world, client_for):
    url = reverse("feedback:inbox_csv")
    mine = {r["body"] for r in rows_of(client_for(world.users["rep"]).get(url))}
    assert "The scanners need a site survey first." in mine
    others = {r["body"] for r in rows_of(client_for(world.users["rep2"]).get(url))}
    assert "The scanners need a site survey first." not in others
    assert "Only for rep2." in others
    searched = rows_of(client_for(world.users["rep"]).get(url + "?q=survey"))
    assert [r["body"] for r in searched] == ["The scanners need a site survey first."]


@pytest.mark.django_db
def test_the_notifications_export_is_the_readers_own(world, client_for):
    url = reverse("feedback:notifications_csv")
    rep_ids = {str(n.pk) for n in world.users["rep"].notifications.all()}
    assert {r["id"] for r in rows_of(client_for(world.users["rep"]).get(url))} == rep_ids
    assert not rep_ids & {r["id"] for r in rows_of(client_for(world.users["rep2"]).get(url))}
