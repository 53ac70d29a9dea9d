"""Every model's name reads right in the admin: its plural is English, not a name plus "s"."""

import re

import pytest
from django.apps import apps

OUR_APPS = ("handoff", "deals", "projects", "feedback", "insights")


def english_plural(name: str) -> str:
    if re.search(r"[^aeiou]y$", name):
        return name[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", name):
        return name + "es"
    return name + "s"


MODELS = [
    model
    for label in OUR_APPS
    if apps.is_installed(label)
    for model in apps.get_app_config(label).get_models()
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_the_plural_of_each_model_is_english(model):
    meta = model._meta

    assert str(meta.verbose_name_plural) == english_plural(str(meta.verbose_name))


def test_the_names_the_admin_had_wrong():
    names = {m._meta.label: str(m._meta.verbose_name_plural) for m in MODELS}

    assert names["feedback.DigestDelivery"] == "digest deliveries"
    assert names["feedback.EmailOutbox"] == "outbox emails"
    assert names["deals.SignOff"] == "sign-offs"


@pytest.mark.django_db
def test_the_admin_index_lists_them_so(admin_client):
    body = admin_client.get("/admin/").content.decode()

    assert "Digest deliveries" in body
    assert "Outbox emails" in body
    assert "deliverys" not in body and "outboxs" not in body
