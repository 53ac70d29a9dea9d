"""The project list as CSV: the page's filters, only the projects the user may see."""

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
def test_projects_export_follows_visibility_and_filters(world, client_for):
    url = reverse("projects:list_csv")
    assert [r["deal"] for r in rows_of(client_for(world.users["rep"]).get(url))] == [
        "Store analytics"
    ]
    assert rows_of(client_for(world.users["rep2"]).get(url)) == []
    assert len(rows_of(client_for(world.users["pm"]).get(url))) == 1
    assert rows_of(client_for(world.users["manager"]).get(url + "?q=nothing-like-it")) == []
    row = rows_of(client_for(world.users["manager"]).get(url))[0]
    assert row["value"] == "12000.00" and row["pm"] == "pm"


@pytest.mark.django_db
def test_deliverables_export_follows_the_page(world, client_for):
    url = reverse("home_deliverables_csv")
    pm_rows = rows_of(client_for(world.users["pm"]).get(url))
    assert pm_rows and {r["deal"] for r in pm_rows} == {"Store analytics"}
    assert rows_of(client_for(world.users["rep2"]).get(url)) == []
    assert rows_of(client_for(world.users["rep"]).get(url + "?due=late")) == []
    assert pm_rows[0]["effort_days"] == "5.0"
