"""GET /api/v1/metrics/alignment/: the dashboard's figures as JSON, for managers, with a token."""

import datetime

import pytest
from django.test import Client as HttpClient

from deals.models import VerdictKind
from tests.insights.crafted import at, make_deal, review, set_clock


@pytest.mark.django_db
def test_api_returns_the_dashboards_figures(rep, pm, manager, client_for):
    set_clock(review(make_deal(rep), pm, [VerdictKind.FLAGGED]), at(datetime.date(2026, 2, 2)))
    response = client_for(manager).get("/api/v1/metrics/alignment/?from=2026-02-01&to=2026-02-28")
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {"start": "2026-02-01", "end": "2026-02-28"}
    assert body["team"] is None
    figures = {f["key"]: f for f in body["figures"]}
    assert figures["flag_rate"]["value"] == 1.0
    assert figures["flag_rate"]["unit"] == "percent"
    assert figures["first_pass_approval_rate"]["value"] == 0.0
    assert figures["kept_rate"]["value"] is None
    tables = {t["key"]: t for t in body["tables"]}
    assert tables["flag-rate-by-rep"]["rows"][0]["flag_rate"] == 1.0
    assert len(tables["pipeline-capacity"]["rows"]) == 12


@pytest.mark.django_db
def test_api_with_a_token_and_bad_input(manager, rep):
    from rest_framework.authtoken.models import Token

    http = HttpClient()
    token = Token.objects.create(user=manager)
    ok = http.get("/api/v1/metrics/alignment/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert ok.status_code == 200
    bad = http.get(
        "/api/v1/metrics/alignment/?from=2026-05-01&to=2026-04-01",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert bad.status_code == 400
    assert "to" in bad.json()
    rep_token = Token.objects.create(user=rep)
    refused = http.get("/api/v1/metrics/alignment/", HTTP_AUTHORIZATION=f"Token {rep_token.key}")
    assert refused.status_code == 403
