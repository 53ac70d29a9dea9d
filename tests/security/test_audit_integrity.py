"""The audit trail and sign-offs are append-only: in the ORM, and in PostgreSQL whatever runs SQL."""

import pgtrigger
import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from deals import services
from deals.models import Deal, DealEvent, DealStatus, SignOff
from handoff.audit import APPEND_ONLY_TRIGGER, AppendOnlyModel, AppendOnlyQuerySet
from handoff.models import ApiTokenEvent
from meetings.models import AgendaItem, CarryOver, MeetingEvent
from projects.models import ProjectEvent
from tests.deals.builders import deal_in
from tests.security.world import new_deal, signed_off_deal

# Every table of the audit trail; a new one joins this list and the append-only base.
AUDIT_MODELS = {
    DealEvent,
    SignOff,
    ProjectEvent,
    ApiTokenEvent,
    AgendaItem,
    CarryOver,
    MeetingEvent,
}


@pytest.fixture
def signed(rep, pm):
    from deals.models import Client

    return signed_off_deal(rep, pm, Client.objects.create(name="Initech"), "Audit deal")


@pytest.fixture
def project_event(rep, pm):
    deal = deal_in(DealStatus.WON, owner=rep, pm=pm)
    return ProjectEvent.objects.get(project=deal.project)


def test_every_audit_table_is_append_only_in_code_and_in_the_database():
    append_only = {m for m in apps.get_models() if issubclass(m, AppendOnlyModel)}
    assert append_only == AUDIT_MODELS
    for model in AUDIT_MODELS:
        assert isinstance(model.objects.all(), AppendOnlyQuerySet), model
        assert pgtrigger.registered(f"{model._meta.label}:{APPEND_ONLY_TRIGGER}"), model


@pytest.mark.django_db
class TestInCode:
    def test_an_event_cannot_be_saved_again_or_deleted(self, signed):
        event = DealEvent.objects.filter(deal=signed).first()
        event.reason = "rewritten"
        with pytest.raises(ValueError):
            event.save()
        with pytest.raises(ValueError):
            event.delete()

    def test_bulk_update_and_delete_of_events_refuse(self, signed):
        events = DealEvent.objects.filter(deal=signed)
        with pytest.raises(ValueError):
            events.update(reason="rewritten")
        with pytest.raises(ValueError):
            events.delete()
        with pytest.raises(ValueError):
            DealEvent.objects.bulk_update(list(events), ["reason"])
        assert not DealEvent.objects.filter(reason="rewritten").exists()

    def test_sign_offs_refuse_edits_and_deletes(self, signed):
        sign_off = SignOff.objects.get(deal=signed)
        with pytest.raises(ValueError):
            sign_off.save()
        with pytest.raises(ValueError):
            sign_off.delete()
        with pytest.raises(ValueError):
            SignOff.objects.filter(pk=sign_off.pk).update(fingerprint="0" * 64)
        with pytest.raises(ValueError):
            SignOff.objects.filter(pk=sign_off.pk).delete()

    def test_a_project_event_cannot_be_saved_again_or_deleted(self, project_event):
        project_event.reason = "rewritten"
        with pytest.raises(ValueError, match="append-only"):
            project_event.save()
        with pytest.raises(ValueError, match="append-only"):
            project_event.delete()

    def test_bulk_update_and_delete_of_project_events_refuse(self, project_event):
        events = ProjectEvent.objects.filter(pk=project_event.pk)
        with pytest.raises(ValueError, match="append-only"):
            events.update(reason="rewritten")
        with pytest.raises(ValueError, match="append-only"):
            events.delete()
        with pytest.raises(ValueError, match="append-only"):
            ProjectEvent.objects.bulk_update([project_event], ["reason"])
        assert ProjectEvent.objects.get(pk=project_event.pk).reason == ""

    def test_deleting_a_never_submitted_draft_takes_its_events_with_it(self, rep):
        from deals.models import Client

        draft = new_deal(rep, Client.objects.create(name="Hooli"), "Scratch")
        assert DealEvent.objects.filter(deal=draft).exists()
        services.deal_delete(deal=draft, actor=rep)
        assert not Deal.objects.filter(pk=draft.pk).exists()
        assert not DealEvent.objects.filter(deal_id=draft.pk).exists()


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.postgres
@pytest.mark.django_db
class TestInPostgres:
    """Raw SQL goes around every Python guard; the trigger still refuses."""

    def test_raw_update_of_an_event_raises(self, signed):
        event = DealEvent.objects.filter(deal=signed).first()
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            _raw("UPDATE deals_dealevent SET reason = 'rewritten' WHERE id = %s", [event.pk])
        assert DealEvent.objects.get(pk=event.pk).reason == event.reason

    def test_raw_delete_of_an_event_raises(self, signed):
        event = DealEvent.objects.filter(deal=signed).first()
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            _raw("DELETE FROM deals_dealevent WHERE id = %s", [event.pk])
        assert DealEvent.objects.filter(pk=event.pk).exists()

    def test_raw_update_and_delete_of_a_sign_off_raise(self, signed):
        sign_off = SignOff.objects.get(deal=signed)
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            _raw("UPDATE deals_signoff SET fingerprint = 'forged' WHERE id = %s", [sign_off.pk])
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            _raw("DELETE FROM deals_signoff WHERE id = %s", [sign_off.pk])
        assert SignOff.objects.get(pk=sign_off.pk).fingerprint == sign_off.fingerprint

    def test_a_submitted_deal_cannot_be_deleted_with_its_history(self, signed):
        with pytest.raises(DatabaseError):
            _raw("DELETE FROM deals_dealevent WHERE deal_id = %s", [signed.pk])
        assert DealEvent.objects.filter(deal=signed).count() > 0

    def test_the_draft_delete_service_passes_the_trigger(self, rep, signed):
        from deals.models import Client

        draft = new_deal(rep, Client.objects.create(name="Hooli"), "Scratch")
        services.deal_delete(deal=draft, actor=rep)
        assert not DealEvent.objects.filter(deal_id=draft.pk).exists()
        # The exemption ends with the service: the next raw delete is refused again.
        event = DealEvent.objects.filter(deal=signed).first()
        with pytest.raises(DatabaseError):
            _raw("DELETE FROM deals_dealevent WHERE id = %s", [event.pk])

    def test_raw_update_and_delete_of_a_project_event_raise(self, project_event):
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            _raw(
                "UPDATE projects_projectevent SET reason = 'rewritten' WHERE id = %s",
                [project_event.pk],
            )
        with pytest.raises(DatabaseError, match="Cannot update or delete"):
            _raw("DELETE FROM projects_projectevent WHERE id = %s", [project_event.pk])
        assert ProjectEvent.objects.get(pk=project_event.pk).reason == ""

    @pytest.mark.parametrize("model", sorted(AUDIT_MODELS, key=str), ids=lambda m: m.__name__)
    def test_the_trigger_is_installed_on_every_audit_table(self, model):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname LIKE %s",
                [model._meta.db_table, f"pgtrigger_{APPEND_ONLY_TRIGGER}_%"],
            )
            assert cursor.fetchone()[0] == 1
