"""seed_demo: the demo users and data, made once however often it runs, and never in production."""

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from handoff.models import Role, Team, TeamKind, User

OUR_APPS = ("handoff", "deals", "projects", "feedback")


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models()
    }


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def test_seed_demo_is_idempotent(db, debug_on):
    call_command("seed_demo")
    first = row_counts()
    call_command("seed_demo")

    assert row_counts() == first
    assert first["handoff.User"] >= 5
    assert first["handoff.Team"] >= 3
    assert first["deals.ReviewRule"] == 2
    assert first["handoff.ApiToken"] == 2 and first["handoff.ApiTokenEvent"] == 3


def test_seed_demo_users_have_their_roles_and_the_demo_password(db, debug_on):
    call_command("seed_demo")

    roles = dict(User.objects.values_list("username", "role"))
    assert {k: roles[k] for k in ("rep", "rep2", "pm", "pm2", "manager")} == {
        "rep": Role.SALES,
        "rep2": Role.SALES,
        "pm": Role.PM,
        "pm2": Role.PM,
        "manager": Role.MANAGER,
    }
    for user in User.objects.filter(username__in=roles):
        assert user.check_password("demo"), user.username
    assert set(Team.objects.values_list("kind", flat=True)) == {TeamKind.SALES, TeamKind.DELIVERY}
    integration = Team.objects.get(name="Integration")
    assert integration.kind == TeamKind.DELIVERY
    assert integration.lead.username == "pm2"
    assert [u.username for u in integration.members.all()] == ["pm2"]


def test_seed_demo_keeps_a_changed_password(db, debug_on):
    call_command("seed_demo")
    rep = User.objects.get(username="rep")
    rep.set_password("changed-by-rita-123")
    rep.save()

    call_command("seed_demo")

    rep.refresh_from_db()
    assert rep.check_password("changed-by-rita-123")


def test_seed_demo_is_refused_without_debug(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="only with DEBUG on"):
        call_command("seed_demo")

    assert not User.objects.filter(username="rep").exists()
