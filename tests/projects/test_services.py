import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from deals import services as deal_services
from deals.models import Deal, DealStatus
from handoff.errors import ActionForbidden, DomainError, TransitionNotAllowed
from projects import services
from projects.models import (
    DEFAULT_KICKOFF_ITEMS,
    CapacityException,
    Deliverable,
    DeliverableStatus,
    PMCapacity,
    Project,
    ProjectEvent,
    ProjectEventKind,
    ProjectStatus,
)
from projects.signals import project_event_recorded
from tests.projects.builders import make_deal, review, win

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


class TestHandoff:
    def test_win_creates_project_with_deliverables_conditions_and_checklist(self, won_project, pm):
        project = won_project
        assert project.pm == pm
        assert project.status == ProjectStatus.KICKOFF
        assert project.start_date == project.deal.expected_start_date
        deliverables = list(project.deliverables.order_by("promised_date"))
        commitments = list(project.deal.commitments.order_by("promised_date"))
        assert [d.commitment for d in deliverables] == commitments
        assert [d.effort_days for d in deliverables] == [Decimal("10.0"), Decimal("6.0")]
        assert [d.promised_date for d in deliverables] == [c.promised_date for c in commitments]
        assert deliverables[0].condition == "Client provides access by week 2"
        assert deliverables[1].condition == ""
        assert all(d.status == DeliverableStatus.PLANNED for d in deliverables)
        assert [i.text for i in project.kickoff_items.all()] == list(DEFAULT_KICKOFF_ITEMS)
        assert project.events.get().kind == ProjectEventKind.CREATED

    def test_start_date_defaults_to_today(self, rep, pm):
        deal = make_deal(rep, start=None)
        Deal.objects.filter(pk=deal.pk).update(expected_start_date=None)
        review(deal, rep, pm)
        deal_services.deal_win(deal=deal, actor=rep)
        assert Project.objects.get(deal=deal).start_date == TODAY()

    def test_manager_picks_another_pm(self, rep, pm, pm2, manager):
        deal = make_deal(rep)
        review(deal, rep, pm)
        deal_services.deal_win(deal=deal, actor=manager, project_manager=pm2)
        assert Project.objects.get(deal=deal).pm == pm2

    def test_picked_project_manager_must_be_a_pm(self, rep, rep2, pm, manager):
        deal = make_deal(rep)
        review(deal, rep, pm)
        with pytest.raises(ValidationError):
            deal_services.deal_win(deal=deal, actor=manager, project_manager=rep2)
        deal.refresh_from_db()
        assert deal.status == DealStatus.SIGNED_OFF
        assert not Project.objects.exists()

    def test_failure_mid_way_rolls_back_the_win(self, rep, pm, monkeypatch):
        deal = make_deal(rep)
        review(deal, rep, pm)
        created = []
        real_create = Deliverable.objects.create

        def create_then_fail(**kwargs):
            if created:
                raise IntegrityError("disk full")
            created.append(real_create(**kwargs))
            return created[-1]

        monkeypatch.setattr(Deliverable.objects, "create", create_then_fail)
        with pytest.raises(IntegrityError):
            deal_services.deal_win(deal=deal, actor=rep)
        assert len(created) == 1  # it failed on the second deliverable, after writing the first
        deal.refresh_from_db()
        assert deal.status == DealStatus.SIGNED_OFF
        assert not Project.objects.exists()
        assert not Deliverable.objects.exists()
        assert not deal.events.filter(kind="won").exists()

    def test_created_event_is_signalled_inside_the_transaction(self, rep, pm):
        received = []

        def receiver(sender, event, **kwargs):
            received.append((event.kind, transaction.get_connection().in_atomic_block))

        project_event_recorded.connect(receiver)
        try:
            win(rep, pm)
        finally:
            project_event_recorded.disconnect(receiver)
        assert received == [(ProjectEventKind.CREATED, True)]


class TestBriefAndKickoff:
    def test_rep_owner_writes_the_brief(self, won_project, rep):
        services.project_update_brief(
            project=won_project,
            actor=rep,
            data={"risks": " Tight timeline ", "stakeholders": "CTO"},
        )
        won_project.refresh_from_db()
        assert won_project.risks == "Tight timeline"
        event = won_project.events.get(kind=ProjectEventKind.BRIEF_UPDATED)
        assert sorted(event.data["fields"]) == ["risks", "stakeholders"]

    def test_manager_writes_the_brief(self, won_project, manager):
        services.project_update_brief(project=won_project, actor=manager, data={"risks": "x"})
        won_project.refresh_from_db()
        assert won_project.risks == "x"

    @pytest.mark.parametrize("who", ["rep2", "pm"])
    def test_others_cannot_write_the_brief(self, won_project, who, request):
        with pytest.raises(ActionForbidden):
            services.project_update_brief(
                project=won_project, actor=request.getfixturevalue(who), data={"risks": "x"}
            )

    def test_pm_edits_checklist(self, won_project, pm):
        item = services.kickoff_item_add(project=won_project, actor=pm, text="Order hardware")
        assert item.position == len(DEFAULT_KICKOFF_ITEMS) + 1
        services.kickoff_item_toggle(item=item, actor=pm, done=True)
        item.refresh_from_db()
        assert item.done
        services.kickoff_item_remove(item=item, actor=pm)
        assert not won_project.kickoff_items.filter(text="Order hardware").exists()
        kinds = list(won_project.events.values_list("kind", flat=True))
        assert kinds[-3:] == ["kickoff_item_added", "kickoff_item_checked", "kickoff_item_removed"]

    def test_empty_checklist_item_is_refused(self, won_project, pm):
        with pytest.raises(ValidationError):
            services.kickoff_item_add(project=won_project, actor=pm, text="  ")

    @pytest.mark.parametrize("who", ["rep", "pm2", "manager"])
    def test_only_the_project_pm_edits_checklist(self, won_project, who, request):
        actor = request.getfixturevalue(who)
        item = won_project.kickoff_items.first()
        with pytest.raises(ActionForbidden):
            services.kickoff_item_toggle(item=item, actor=actor, done=True)
        with pytest.raises(ActionForbidden):
            services.kickoff_item_add(project=won_project, actor=actor, text="x")

    def test_pm_accepts_handoff_once(self, won_project, pm):
        services.project_accept_handoff(project=won_project, actor=pm)
        won_project.refresh_from_db()
        assert won_project.status == ProjectStatus.ACTIVE
        assert won_project.accepted_at is not None
        with pytest.raises(TransitionNotAllowed) as error:
            services.project_accept_handoff(project=won_project, actor=pm)
        assert error.value.code == "accept_not_allowed"

    @pytest.mark.parametrize("who", ["rep", "pm2"])
    def test_others_cannot_accept_handoff(self, won_project, who, request):
        with pytest.raises(ActionForbidden):
            services.project_accept_handoff(project=won_project, actor=request.getfixturevalue(who))

    def test_pm_sends_questions_as_an_event_signalled_to_the_rep(self, won_project, pm, rep):
        received = []

        def receiver(sender, event, **kwargs):
            received.append(event)

        project_event_recorded.connect(receiver)
        try:
            event = services.project_send_questions(
                project=won_project, actor=pm, questions="Who signs off the dashboards?"
            )
        finally:
            project_event_recorded.disconnect(receiver)
        assert received == [event]
        assert event.kind == ProjectEventKind.QUESTIONS_SENT
        assert event.reason == "Who signs off the dashboards?"
        assert event.data["recipient"] == rep.pk

    def test_questions_need_text_and_the_project_pm(self, won_project, pm, rep):
        with pytest.raises(ValidationError):
            services.project_send_questions(project=won_project, actor=pm, questions=" ")
        with pytest.raises(ActionForbidden):
            services.project_send_questions(project=won_project, actor=rep, questions="?")

    def test_events_are_append_only(self, won_project):
        event = ProjectEvent.objects.first()
        with pytest.raises(ValueError):
            event.save()
        with pytest.raises(ValueError):
            event.delete()


class TestDeliverableStatus:
    def deliverable(self, project):
        return project.deliverables.order_by("promised_date").first()

    def test_delivered_on_time_is_kept(self, won_project, pm):
        d = self.deliverable(won_project)
        Deliverable.objects.filter(pk=d.pk).update(promised_date=TODAY())
        services.deliverable_update_status(
            deliverable=d, actor=pm, status="delivered", delivered_on=TODAY()
        )
        d.refresh_from_db()
        assert (d.status, d.delivered_on, d.slip_days, d.is_kept) == ("delivered", TODAY(), 0, True)
        event = won_project.events.get(kind=ProjectEventKind.DELIVERABLE_STATUS_CHANGED)
        assert event.data["from"] == "planned" and event.data["to"] == "delivered"
        assert event.data["kept"] is True

    def test_delivered_late_records_slip(self, won_project, pm):
        d = self.deliverable(won_project)
        Deliverable.objects.filter(pk=d.pk).update(
            promised_date=TODAY() - datetime.timedelta(days=5)
        )
        services.deliverable_update_status(
            deliverable=d, actor=pm, status="delivered", delivered_on=TODAY()
        )
        d.refresh_from_db()
        assert d.slip_days == 5 and not d.is_kept

    def test_early_delivery_counts_as_zero_slip(self, won_project, pm):
        d = self.deliverable(won_project)
        services.deliverable_update_status(
            deliverable=d, actor=pm, status="delivered", delivered_on=TODAY()
        )
        d.refresh_from_db()
        assert d.slip_days == 0 and d.is_kept

    def test_missed_records_slip_to_today(self, won_project, pm):
        d = self.deliverable(won_project)
        Deliverable.objects.filter(pk=d.pk).update(
            promised_date=TODAY() - datetime.timedelta(days=3)
        )
        services.deliverable_update_status(deliverable=d, actor=pm, status="missed")
        d.refresh_from_db()
        assert d.slip_days == 3

    def test_delivered_needs_a_past_date(self, won_project, pm):
        d = self.deliverable(won_project)
        with pytest.raises(ValidationError) as error:
            services.deliverable_update_status(deliverable=d, actor=pm, status="delivered")
        assert "delivered_on" in error.value.message_dict
        with pytest.raises(ValidationError):
            services.deliverable_update_status(
                deliverable=d,
                actor=pm,
                status="delivered",
                delivered_on=TODAY() + datetime.timedelta(days=1),
            )

    def test_a_delivery_date_cannot_precede_the_project(self, won_project, pm):
        d = self.deliverable(won_project)
        Project.objects.filter(pk=won_project.pk).update(start_date=TODAY())
        with pytest.raises(ValidationError) as error:
            services.deliverable_update_status(
                deliverable=d,
                actor=pm,
                status="delivered",
                delivered_on=TODAY() - datetime.timedelta(days=30),
            )
        assert "cannot be before the project started" in error.value.message_dict["delivered_on"][0]
        d.refresh_from_db()
        assert d.status == "planned" and d.delivered_on is None
        # Work can start before the win: a date from the start on counts.
        early = TODAY() - datetime.timedelta(days=20)
        Project.objects.filter(pk=won_project.pk).update(start_date=early)
        services.deliverable_update_status(
            deliverable=d, actor=pm, status="delivered", delivered_on=early
        )
        d.refresh_from_db()
        assert d.delivered_on == early

    def test_the_api_refuses_a_backdated_delivery_with_the_reason(self, won_project, pm):
        from rest_framework.test import APIClient

        d = self.deliverable(won_project)
        api = APIClient()
        api.force_authenticate(pm)
        response = api.patch(
            f"/api/v1/deliverables/{d.pk}/",
            {"status": "delivered", "delivered_on": "1900-01-01"},
            format="json",
        )
        assert response.status_code == 400, response.content
        assert "delivered_on" in response.json()

    @pytest.mark.parametrize("status", ["at_risk", "descoped"])
    def test_at_risk_and_descoped_need_a_reason(self, won_project, pm, status):
        d = self.deliverable(won_project)
        with pytest.raises(ValidationError) as error:
            services.deliverable_update_status(deliverable=d, actor=pm, status=status)
        assert "status_reason" in error.value.message_dict
        services.deliverable_update_status(
            deliverable=d, actor=pm, status=status, reason="Client late with data"
        )
        d.refresh_from_db()
        assert d.status == status and d.status_reason == "Client late with data"

    def test_unknown_status_is_refused(self, won_project, pm):
        with pytest.raises(ValidationError):
            services.deliverable_update_status(
                deliverable=self.deliverable(won_project), actor=pm, status="done"
            )

    def test_back_to_in_progress_clears_date_and_slip(self, won_project, pm):
        d = self.deliverable(won_project)
        services.deliverable_update_status(
            deliverable=d, actor=pm, status="delivered", delivered_on=TODAY()
        )
        services.deliverable_update_status(deliverable=d, actor=pm, status="in_progress")
        d.refresh_from_db()
        assert (d.delivered_on, d.slip_days) == (None, None)

    def test_manager_may_update(self, won_project, manager):
        deliverable = self.deliverable(won_project)
        services.deliverable_update_status(
            deliverable=deliverable, actor=manager, status="in_progress"
        )
        deliverable.refresh_from_db()
        assert deliverable.status == "in_progress"

    @pytest.mark.parametrize("who", ["rep", "rep2", "pm2"])
    def test_reps_and_other_pms_may_not(self, won_project, who, request):
        with pytest.raises(ActionForbidden):
            services.deliverable_update_status(
                deliverable=self.deliverable(won_project),
                actor=request.getfixturevalue(who),
                status="in_progress",
            )

    def test_database_holds_delivered_implies_date(self, won_project):
        with pytest.raises(IntegrityError), transaction.atomic():
            Deliverable.objects.filter(project=won_project).update(status="delivered")


class TestCapacity:
    def test_pm_sets_own_capacity(self, pm):
        capacity = services.capacity_set(pm=pm, actor=pm, weekly_days="3.5")
        assert capacity.weekly_days == Decimal("3.5")
        services.capacity_set(pm=pm, actor=pm, weekly_days=Decimal("2"))
        assert PMCapacity.objects.get(user=pm).weekly_days == Decimal("2")

    @pytest.mark.parametrize("value", ["-1", "8", "abc", "1.25", "NaN"])
    def test_capacity_bounds(self, pm, value):
        with pytest.raises(ValidationError):
            services.capacity_set(pm=pm, actor=pm, weekly_days=value)

    def test_others_cannot_set_a_pms_capacity(self, pm, pm2, rep):
        with pytest.raises(ActionForbidden):
            services.capacity_set(pm=pm, actor=pm2, weekly_days=2)
        with pytest.raises(ValidationError):
            services.capacity_set(pm=rep, actor=rep, weekly_days=2)

    def test_manager_sets_a_pms_capacity(self, pm, manager):
        services.capacity_set(pm=pm, actor=manager, weekly_days=2)
        assert PMCapacity.objects.get(user=pm).weekly_days == 2

    def test_exceptions_add_replace_remove(self, pm):
        monday = datetime.date(2026, 12, 7)
        services.capacity_exception_add(pm=pm, actor=pm, week_start=monday, days=0, note="Holiday")
        exception = services.capacity_exception_add(pm=pm, actor=pm, week_start=monday, days=2)
        assert CapacityException.objects.get().days == Decimal("2")
        services.capacity_exception_remove(exception=exception, actor=pm)
        assert not CapacityException.objects.exists()

    def test_exception_week_must_be_a_monday(self, pm):
        with pytest.raises(ValidationError):
            services.capacity_exception_add(
                pm=pm, actor=pm, week_start=datetime.date(2026, 12, 8), days=0
            )

    def test_other_pm_cannot_remove_my_exception(self, pm, pm2):
        exception = services.capacity_exception_add(
            pm=pm, actor=pm, week_start=datetime.date(2026, 12, 7), days=0
        )
        with pytest.raises(ActionForbidden):
            services.capacity_exception_remove(exception=exception, actor=pm2)


class TestProjectStatus:
    def test_hold_resume_complete(self, won_project, pm):
        with pytest.raises(TransitionNotAllowed):
            services.project_change_status(
                project=won_project, actor=pm, status="on_hold", reason="x"
            )
        services.project_accept_handoff(project=won_project, actor=pm)
        with pytest.raises(ValidationError):
            services.project_change_status(project=won_project, actor=pm, status="on_hold")
        services.project_change_status(
            project=won_project, actor=pm, status="on_hold", reason="Client budget freeze"
        )
        services.project_change_status(project=won_project, actor=pm, status="active")
        with pytest.raises(DomainError) as error:
            services.project_change_status(project=won_project, actor=pm, status="completed")
        assert error.value.code == "open_deliverables"
        for d in won_project.deliverables.all():
            services.deliverable_update_status(
                deliverable=d, actor=pm, status="delivered", delivered_on=TODAY()
            )
        services.project_change_status(project=won_project, actor=pm, status="completed")
        won_project.refresh_from_db()
        assert won_project.status == ProjectStatus.COMPLETED
        with pytest.raises(TransitionNotAllowed):
            services.deliverable_update_status(
                deliverable=won_project.deliverables.first(), actor=pm, status="missed"
            )

    @pytest.mark.parametrize("who", ["rep", "pm2"])
    def test_only_the_project_pm_or_a_manager(self, won_project, pm, who, request):
        services.project_accept_handoff(project=won_project, actor=pm)
        with pytest.raises(ActionForbidden):
            services.project_change_status(
                project=won_project,
                actor=request.getfixturevalue(who),
                status="on_hold",
                reason="x",
            )

    def test_page_buttons(self, won_project, pm, client_for):
        from django.urls import reverse

        services.project_accept_handoff(project=won_project, actor=pm)
        http = client_for(pm)
        page = http.get(reverse("projects:detail", args=[won_project.pk])).content.decode()
        assert "Put on hold" in page and "Complete project" in page
        url = reverse("projects:status", args=[won_project.pk])
        http.post(url, {"status": "on_hold", "reason": "Waiting for the client"})
        won_project.refresh_from_db()
        assert won_project.status == ProjectStatus.ON_HOLD
        response = http.post(url, {"status": "completed"}, follow=True)
        assert "cannot become completed" in response.content.decode()
