"""The API docs page keeps to the Content-Security-Policy, and the schema is generated once."""

import re

import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.generators import SchemaGenerator

from handoff.schema import forget_served_schema


@pytest.fixture
def fresh_schema():
    forget_served_schema()
    yield
    forget_served_schema()


def test_the_docs_page_has_no_inline_style_or_script(client_for, rep):
    response = client_for(rep).get("/api/docs/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "<style" not in body
    assert not re.search(r"\sstyle=", body)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
    assert '/static/css/api_docs.css"' in body
    assert finders.find("css/api_docs.css")
    assert "style-src 'self'" in response["Content-Security-Policy"]


def test_the_schema_is_generated_once_and_served_alike_to_everyone(
    client_for, rep, manager, fresh_schema, monkeypatch
):
    generated = []
    parse = SchemaGenerator.parse

    def counting_parse(self, *args, **kwargs):
        generated.append(1)
        return parse(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "parse", counting_parse)

    first = client_for(rep).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    second = client_for(manager).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

    assert first.status_code == second.status_code == 200
    assert len(generated) == 1
    assert first["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert second["Content-Type"].startswith("application/vnd.oai.openapi")
    assert first.json()["paths"].keys() >= {"/api/v1/deals/", "/api/v1/feedback/"}
