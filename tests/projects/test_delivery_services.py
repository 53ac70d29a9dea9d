"""Actual effort and change control: the services' rules, allowed and refused."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from deals.models import ApproverKind, ReviewRule
from handoff.errors import ActionForbidden, DomainError, TransitionNotAllowed
from projects import selectors, services, services_changes, services_time
from projects.models import (
    ChangeRequestStatus,
    DeliverableStatus,
    ProjectEvent,
    ProjectEventKind,
    ProjectStatus,
    TimeEntry,
)
from projects.selectors_delivery import attach_effort
from tests.projects.builders import win

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def active_project(rep, pm):
    project = win(rep, pm)
    services.project_accept_handoff(
        project=project, actor=pm, estimates={project.deliverables.first().pk: "12"}
    )
    project.refresh_from_db()
    return project


def first(project):
    return project.deliverables.order_by("promised_date").first()


class TestEstimateAtAcceptance:
    def test_estimates_given_and_defaulted_to_the_sold_effort(self, active_project):
        warehouse, dashboards = active_project.deliverables.order_by("promised_date")
        assert warehouse.estimate_days == Decimal("12") and warehouse.effort_days == Decimal("10")
        assert dashboards.estimate_days == dashboards.effort_days == Decimal("6")
        event = active_project.events.get(kind=ProjectEventKind.HANDOFF_ACCEPTED)
        assert event.data["estimates"][str(warehouse.pk)] == "12"

    @pytest.mark.parametrize("value", ["-1", "abc", "5001", "1.25", "NaN"])
    def test_bad_estimates_are_refused_and_nothing_changes(self, rep, pm, value):
        project = win(rep, pm)
        pk = project.deliverables.first().pk
        with pytest.raises(ValidationError) as error:
            services.project_accept_handoff(project=project, actor=pm, estimates={pk: value})
        assert f"estimate_{pk}" in error.value.message_dict
        project.refresh_from_db()
        assert project.status == ProjectStatus.KICKOFF


class TestTimeEntries:
    def test_hours_or_days_and_the_effort_figures(self, active_project, pm):
        d = first(active_project)
        services_time.time_entry_add(deliverable=d, actor=pm, day=TODAY(), hours="6")
        services_time.time_entry_add(deliverable=d, actor=pm, day=TODAY(), days="1.5", note="ETL")
        assert sorted(TimeEntry.objects.values_list("hours", flat=True)) == [6, 12]
        (effort,) = [x.effort for x in attach_effort([d])]
        assert effort["actual"] == Decimal("2.25") and effort["planned"] == Decimal("12")
        assert effort["remaining"] == Decimal("9.75") and effort["overrun"] == 0

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"hours": "-1"}, "hours"),
            ({"hours": "0"}, "hours"),
            ({"hours": "25"}, "hours"),
            ({"days": "4"}, "days"),
            ({"hours": "abc"}, "hours"),
            ({"hours": "1", "days": "1"}, "hours"),
            ({}, "hours"),
        ],
    )
    def test_absurd_amounts_are_refused(self, active_project, pm, kwargs, field):
        with pytest.raises(ValidationError) as error:
            services_time.time_entry_add(
                deliverable=first(active_project), actor=pm, day=TODAY(), **kwargs
            )
        assert field in error.value.message_dict

    def test_a_day_holds_at_most_24_hours_across_projects(self, active_project, rep, pm):
        other = win(rep, pm, title="Second project")
        services_time.time_entry_add(
            deliverable=first(active_project), actor=pm, day=TODAY(), hours="20"
        )
        with pytest.raises(ValidationError, match="at most 4 more"):
            services_time.time_entry_add(deliverable=first(other), actor=pm, day=TODAY(), hours="5")
        services_time.time_entry_add(deliverable=first(other), actor=pm, day=TODAY(), hours="4")

    def test_days_to_come_and_before_the_start_are_refused(self, active_project, pm):
        d = first(active_project)
        for day in (TODAY() + datetime.timedelta(days=1), TODAY() - datetime.timedelta(days=400)):
            with pytest.raises(ValidationError) as error:
                services_time.time_entry_add(deliverable=d, actor=pm, day=day, hours="1")
            assert "day" in error.value.message_dict

    def test_who_may_enter(self, active_project, rep, pm, pm2, manager):
        d = first(active_project)
        for user in (rep, manager):
            with pytest.raises(ActionForbidden):
                services_time.time_entry_add(deliverable=d, actor=user, day=TODAY(), hours="1")
        # Another PM enters own time; only the project's PM enters a colleague's.
        services_time.time_entry_add(deliverable=d, actor=pm2, day=TODAY(), hours="1")
        services_time.time_entry_add(deliverable=d, actor=pm, person=pm2, day=TODAY(), hours="1")
        with pytest.raises(ActionForbidden):
            services_time.time_entry_add(
                deliverable=d, actor=pm2, person=pm, day=TODAY(), hours="1"
            )
        with pytest.raises(ValidationError):
            services_time.time_entry_add(
                deliverable=d, actor=pm, person=rep, day=TODAY(), hours="1"
            )

    def test_update_and_remove_own_only_and_audited(self, active_project, pm, pm2):
        entry = services_time.time_entry_add(
            deliverable=first(active_project), actor=pm, day=TODAY(), hours="2"
        )
        with pytest.raises(ActionForbidden):
            services_time.time_entry_update(entry=entry, actor=pm2, day=TODAY(), hours="3")
        with pytest.raises(ActionForbidden):
            services_time.time_entry_remove(entry=entry, actor=pm2)
        services_time.time_entry_update(entry=entry, actor=pm, day=TODAY(), hours="3", note="x")
        entry.refresh_from_db()
        assert entry.hours == 3 and entry.note == "x"
        services_time.time_entry_remove(entry=entry, actor=pm)
        assert not TimeEntry.objects.exists()
        kinds = list(active_project.events.values_list("kind", flat=True))
        assert ProjectEventKind.TIME_ENTRY_CHANGED in kinds
        assert ProjectEventKind.TIME_ENTRY_REMOVED in kinds

    def test_a_completed_project_takes_no_time(self, active_project, pm):
        d = first(active_project)
        entry = services_time.time_entry_add(deliverable=d, actor=pm, day=TODAY(), hours="2")
        for deliverable in active_project.deliverables.all():
            services.deliverable_update_status(
                deliverable=deliverable, actor=pm, status="delivered", delivered_on=TODAY()
            )
        services.project_change_status(project=active_project, actor=pm, status="completed")
        with pytest.raises(TransitionNotAllowed):
            services_time.time_entry_add(deliverable=d, actor=pm, day=TODAY(), hours="1")
        with pytest.raises(TransitionNotAllowed):
            services_time.time_entry_remove(entry=entry, actor=pm)


class TestRemainingEffortInTheLoad:
    def test_the_load_is_the_plan_minus_the_time_entered(self, rep, pm):
        active_project = win(rep, pm, start=TODAY() - datetime.timedelta(days=10))
        services.project_accept_handoff(
            project=active_project, actor=pm, estimates={first(active_project).pk: "12"}
        )

        def pm_load():
            return sum(
                (item.effort for item in selectors.open_work() if item.pm_id == pm.pk), Decimal(0)
            )

        assert pm_load() == Decimal("18")  # the estimates: 12 + 6
        services_time.time_entry_add(
            deliverable=first(active_project), actor=pm, day=TODAY(), hours="16"
        )
        assert pm_load() == Decimal("16")
        # Past the estimate, the remaining effort is zero, never negative.
        for back in range(1, 5):
            services_time.time_entry_add(
                deliverable=first(active_project),
                actor=pm,
                day=TODAY() - datetime.timedelta(days=back),
                hours="24",
            )
        assert pm_load() == Decimal("6")


class TestChangeRequests:
    def test_pm_asks_the_rep_approves_and_the_sold_promise_stays(self, active_project, rep, pm):
        d = first(active_project)
        sold = d.promised_date
        new_date = sold + datetime.timedelta(days=14)
        change = services_changes.change_request_raise(
            deliverable=d,
            actor=pm,
            reason="The client's data arrives late",
            proposed_date=new_date,
            proposed_effort_days="14",
        )
        assert change.side == "delivery"
        assert [r["key"] for r in change.requirements] == ["owner"]
        assert change.requirements[0]["user"] == rep.pk
        event = active_project.events.get(kind=ProjectEventKind.CHANGE_REQUESTED)
        assert event.data["notify"] == [rep.pk]
        with pytest.raises(ActionForbidden, match="your own"):
            services_changes.change_request_approve(change=change, actor=pm)
        services_changes.change_request_approve(change=change, actor=rep)
        change.refresh_from_db()
        d.refresh_from_db()
        assert change.status == ChangeRequestStatus.APPROVED and change.decided_by == rep
        assert d.promised_date == sold and d.renegotiated_date == new_date
        assert d.effort_days == 10 and d.renegotiated_effort_days == 14 and d.planned_days == 14
        with pytest.raises(TransitionNotAllowed) as error:
            services_changes.change_request_approve(change=change, actor=rep)
        assert error.value.code == "change_decided"

    def test_delivered_on_the_renegotiated_date_is_kept_only_as_renegotiated(
        self, active_project, rep, pm
    ):
        d = first(active_project)
        services.deliverable_update_status(deliverable=d, actor=pm, status="in_progress")
        d.refresh_from_db()
        change = services_changes.change_request_raise(
            deliverable=d,
            actor=pm,
            reason="Late data",
            proposed_date=d.promised_date + datetime.timedelta(days=7),
        )
        services_changes.change_request_approve(change=change, actor=rep)
        d.refresh_from_db()
        d.status, d.delivered_on = (
            DeliverableStatus.DELIVERED,
            d.promised_date + datetime.timedelta(days=3),
        )
        assert not d.is_kept and d.is_kept_as_renegotiated

    def test_rep_asks_the_pm_decides_and_may_reject(self, active_project, rep, pm, pm2):
        change = services_changes.change_request_raise(
            deliverable=first(active_project), actor=rep, reason="Client asks", descope=True
        )
        assert change.side == "sales" and change.requirements[0]["user"] == pm.pk
        with pytest.raises(ActionForbidden):
            services_changes.change_request_reject(change=change, actor=pm2, reason="no")
        with pytest.raises(ValidationError):
            services_changes.change_request_reject(change=change, actor=pm, reason=" ")
        services_changes.change_request_reject(change=change, actor=pm, reason="Still needed")
        change.refresh_from_db()
        assert change.status == ChangeRequestStatus.REJECTED
        assert change.decision_reason == "Still needed"
        with pytest.raises(TransitionNotAllowed):
            services_changes.change_request_reject(change=change, actor=pm, reason="again")

    def test_an_approved_descope_withdraws_the_deliverable(self, active_project, rep, pm):
        d = first(active_project)
        change = services_changes.change_request_raise(
            deliverable=d, actor=rep, reason="Client dropped it", descope=True
        )
        services_changes.change_request_approve(change=change, actor=pm)
        d.refresh_from_db()
        assert d.status == DeliverableStatus.DESCOPED and d.descoped_by_change
        assert d.status_reason.startswith("Descoped by agreement")

    def test_review_rules_add_their_approvers(self, active_project, rep, pm, pm2, manager):
        ReviewRule.objects.create(
            name="Big efforts",
            min_effort_days=Decimal("20"),
            approver=ApproverKind.MANAGER,
            created_by=manager,
        )
        d = first(active_project)
        change = services_changes.change_request_raise(
            deliverable=d, actor=pm, reason="Bigger", proposed_effort_days="25"
        )
        assert change.requirements[0]["key"] == "owner"
        assert len(change.requirements) == 2
        assert set(change.requirements[1]) >= {"label", "approver", "required"}
        services_changes.change_request_approve(change=change, actor=rep)
        change.refresh_from_db()
        assert change.status == ChangeRequestStatus.OPEN  # the manager is still needed
        with pytest.raises(ActionForbidden):
            services_changes.change_request_approve(change=change, actor=pm2)
        services_changes.change_request_approve(change=change, actor=manager)
        change.refresh_from_db()
        assert change.status == ChangeRequestStatus.APPROVED

    def test_bad_input_and_refusals(self, active_project, rep, rep2, pm, pm2):
        d = first(active_project)
        raise_ = services_changes.change_request_raise
        for kwargs in (
            {},
            {"proposed_date": TODAY() - datetime.timedelta(days=1)},
            {"proposed_date": d.promised_date},
            {"proposed_effort_days": "-2"},
            {"proposed_effort_days": "abc"},
            {"descope": True, "proposed_effort_days": "2"},
            {"proposed_effort_days": str(d.planned_days)},
        ):
            with pytest.raises(ValidationError):
                raise_(deliverable=d, actor=pm, reason="Because", **kwargs)
        with pytest.raises(ValidationError):
            raise_(deliverable=d, actor=pm, reason="", proposed_effort_days="3")
        for outsider in (rep2, pm2):
            with pytest.raises(ActionForbidden):
                raise_(deliverable=d, actor=outsider, reason="x", proposed_effort_days="3")
        raise_(deliverable=d, actor=pm, reason="x", proposed_effort_days="3")
        with pytest.raises(DomainError) as error:
            raise_(deliverable=d, actor=rep, reason="y", proposed_effort_days="4")
        assert error.value.code == "change_open"

    def test_no_change_on_a_resolved_deliverable_or_a_completed_project(self, active_project, pm):
        for deliverable in active_project.deliverables.all():
            services.deliverable_update_status(
                deliverable=deliverable, actor=pm, status="delivered", delivered_on=TODAY()
            )
        with pytest.raises(TransitionNotAllowed) as error:
            services_changes.change_request_raise(
                deliverable=first(active_project), actor=pm, reason="x", proposed_effort_days="3"
            )
        assert error.value.code == "deliverable_resolved"
        services.project_change_status(project=active_project, actor=pm, status="completed")
        with pytest.raises(TransitionNotAllowed) as error:
            services_changes.change_request_raise(
                deliverable=first(active_project), actor=pm, reason="x", proposed_effort_days="3"
            )
        assert error.value.code == "project_completed"

    def test_events_name_the_promise_and_the_change(self, active_project, rep, pm):
        change = services_changes.change_request_raise(
            deliverable=first(active_project), actor=pm, reason="x", proposed_effort_days="3"
        )
        services_changes.change_request_approve(change=change, actor=rep)
        event = ProjectEvent.objects.get(kind=ProjectEventKind.CHANGE_APPROVED)
        assert event.actor == rep and event.data["summary"] == "Data warehouse"
        assert event.data["to_label"] == "effort 12 → 3 days"
