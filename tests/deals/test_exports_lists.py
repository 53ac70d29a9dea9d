"""The deal list and the review queue as CSV: the page's filters, only what the user may see."""

import csv
import io

import pytest
from django.urls import reverse

from deals import services
from tests.security.world import build_world, new_deal


@pytest.fixture
def world(rep, rep2, pm, pm2, manager):
    return build_world({"rep": rep, "rep2": rep2, "pm": pm, "pm2": pm2, "manager": manager})


def download(http, name, query="") -> tuple[str, list[dict]]:
    response = http.get(reverse(name) + query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return text, list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.django_db
class TestDealList:
    def test_each_user_exports_only_the_deals_they_see(self, world, client_for):
        for name in ("rep", "rep2", "pm", "manager"):
            from deals.selectors import deals_visible_to

            _, rows = download(client_for(world.users[name]), "deals:list_csv")
            visible = set(deals_visible_to(world.users[name]).values_list("title", flat=True))
            assert {r["title"] for r in rows} == visible, name

    def test_the_filters_search_and_sort_carry_over(self, world, client_for):
        http = client_for(world.users["rep"])
        _, rows = download(http, "deals:list_csv", "?status=in_review&sort=title")
        titles = [r["title"] for r in rows]
        assert titles == sorted(titles) and titles
        assert {r["status"] for r in rows} == {"in_review"}
        _, rows = download(http, "deals:list_csv", "?q=Warehouse")
        assert [r["title"] for r in rows] == ["Warehouse scanners"]

    def test_numbers_are_numbers_and_formulas_are_text(self, world, client_for):
        rep = world.users["rep"]
        new_deal(rep, world.client, '=HYPERLINK("http://x")')
        text, rows = download(client_for(rep), "deals:list_csv", "?q=HYPERLINK")
        assert rows[0]["title"].startswith("'=")
        assert ",12000.00," in text  # unquoted: a spreadsheet reads a number

    @pytest.mark.parametrize("extra", [0, 20])
    def test_the_query_count_does_not_grow_with_rows(
        self, world, client_for, django_assert_num_queries, extra
    ):
        rep = world.users["rep"]
        for n in range(extra):
            new_deal(rep, world.client, f"Extra {n}", commitments=1)
        http = client_for(rep)
        http.get(reverse("deals:list_csv"))
        with django_assert_num_queries(3):
            b"".join(http.get(reverse("deals:list_csv")).streaming_content)


@pytest.mark.django_db
class TestQueue:
    def test_pms_export_the_queue_reps_may_not(self, world, client_for):
        _, rows = download(client_for(world.users["pm"]), "deals:queue_csv")
        assert "Warehouse scanners" in {r["deal"] for r in rows}
        assert "Draft store rollout" not in {r["deal"] for r in rows}
        assert client_for(world.users["rep"]).get(reverse("deals:queue_csv")).status_code == 403

    def test_search_carries_over(self, world, client_for):
        _, rows = download(client_for(world.users["manager"]), "deals:queue_csv", "?q=kiosk")
        assert [r["deal"] for r in rows] == ["Claimed kiosk fleet"]

    def test_a_deal_submitted_later_appears(self, world, client_for):
        services.deal_submit(deal=world.deals["draft"], actor=world.users["rep"])
        _, rows = download(client_for(world.users["pm"]), "deals:queue_csv")
        assert "Draft store rollout" in {r["deal"] for r in rows}
