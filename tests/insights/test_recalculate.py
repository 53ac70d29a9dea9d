"""Recalculate now: a background job queued after commit, its progress polled, managers only."""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from deals import services
from deals.models import CommitmentKind
from handoff.models import MetricsSnapshot, TeamKind
from handoff.templatetags.formats import when
from insights import recalculate, tasks
from insights.figures.window import default_range, window_for
from tests.factories import TeamFactory
from tests.insights.crafted import history, make_deal

pytestmark = pytest.mark.django_db
URL = "/dashboard/recompute/"
STATUS = "/dashboard/recompute/status/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def default_window():
    return window_for(*default_range())


def default_query() -> str:
    start, end = default_range()
    return f"from={start.isoformat()}&to={end.isoformat()}"


def in_html(query: str) -> str:
    return query.replace("&", "&amp;")


def job_row():
    return MetricsSnapshot.objects.get(key__startswith=recalculate.PREFIX)


def figures_stored() -> bool:
    return MetricsSnapshot.objects.filter(key__startswith="alignment:").exists()


def in_review_shown(response) -> float | None:
    return next(f for f in response.context["figures"] if f.key == "deals_in_review").value


class TestEnqueue:
    def test_the_post_queues_the_job_after_commit_and_answers_with_progress(
        self, manager, client_for, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks() as callbacks:
            response = client_for(manager).post(URL, {"from": "", "to": ""}, **HTMX)
        assert response.status_code == 200
        body = response.content.decode()
        assert "<html" not in body
        assert 'hx-trigger="every 1s"' in body
        assert f'hx-get="{STATUS}?{in_html(default_query())}"' in body
        assert "Recalculation queued" in body and 'value="0"' in body
        assert len(callbacks) == 1
        assert job_row().payload["status"] == recalculate.QUEUED
        assert not figures_stored()  # nothing ran before the commit

        callbacks[0]()  # the commit: in tests the task runs in-process
        assert job_row().payload["status"] == recalculate.DONE
        assert figures_stored()

    def test_a_rollback_enqueues_nothing(self, manager, django_capture_on_commit_callbacks):
        sent = []
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            recalculate.recalculation_start(
                window=default_window(), actor=manager, enqueue=lambda key, run: sent.append(key)
            )
            raise RuntimeError("the request failed")
        assert callbacks == [] and sent == []
        assert not MetricsSnapshot.objects.exists()

    def test_asking_again_while_it_runs_follows_the_same_job(
        self, manager, client_for, django_capture_on_commit_callbacks
    ):
        http = client_for(manager)
        with django_capture_on_commit_callbacks() as callbacks:
            http.post(URL, {"from": "", "to": ""}, **HTMX)
            second = http.post(URL, {"from": "", "to": ""}, **HTMX)
        assert len(callbacks) == 1
        assert "Recalculation queued" in second.content.decode()
        assert MetricsSnapshot.objects.filter(key__startswith=recalculate.PREFIX).count() == 1

    # Committed for real, as outside tests: the eager task runs before the page answers.
    @pytest.mark.django_db(transaction=True)
    def test_figures_change_once_the_job_has_run(self, rep, pm, manager, client_for):
        http = client_for(manager)
        history([rep], pm, manager, 3)
        before = in_review_shown(http.get("/dashboard/"))
        services.deal_submit(deal=make_deal(rep, [(CommitmentKind.SCOPE, "3")]), actor=rep)
        assert in_review_shown(http.get("/dashboard/")) == before  # still the stored figure
        response = http.post(URL, {"from": "", "to": ""}, follow=True)
        assert response.redirect_chain[-1][0] == f"/dashboard/?{default_query()}"
        assert "Figures recalculated at" in response.content.decode()
        assert in_review_shown(response) == before + 1

    def test_the_range_and_team_are_kept(
        self, manager, client_for, django_capture_on_commit_callbacks
    ):
        team = TeamFactory(name="Sales South", kind=TeamKind.SALES)
        data = {"from": "2026-01-01", "to": "2026-03-31", "team": team.pk}
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(manager).post(URL, data)
        assert response.status_code == 302
        assert response["Location"] == f"/dashboard/?from=2026-01-01&to=2026-03-31&team={team.pk}"
        assert MetricsSnapshot.objects.filter(
            key=f"alignment:v3:2026-01-01:2026-03-31:{team.pk}"
        ).exists()
        assert job_row().payload["team"] == team.pk


class TestWithoutJavaScript:
    def test_the_post_redirects_to_the_dashboard_saying_it_started(
        self, manager, client_for, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks():  # the worker has not run it yet
            response = client_for(manager).post(URL, {"from": "", "to": ""}, follow=True)
        assert response.redirect_chain == [(f"/dashboard/?{default_query()}", 302)]
        assert "Recalculation started; reload in a minute." in response.content.decode()

    def test_check_progress_goes_back_to_the_dashboard_with_its_state(
        self, manager, client_for, django_capture_on_commit_callbacks
    ):
        http = client_for(manager)
        with django_capture_on_commit_callbacks():
            http.post(URL, {"from": "", "to": ""})
        response = http.get(f"{STATUS}?{default_query()}", follow=True)
        assert response.redirect_chain[-1][0] == f"/dashboard/?{default_query()}"
        assert "Recalculating: 0 % done; reload in a minute." in response.content.decode()


class TestProgress:
    def start(self, manager, callbacks_fixture):
        with callbacks_fixture() as callbacks:
            job = recalculate.recalculation_start(
                window=default_window(), actor=manager, enqueue=tasks.enqueue_recalculation
            )
        return job, job_row().payload["run"], callbacks

    def poll(self, http) -> str:
        response = http.get(f"{STATUS}?{default_query()}", **HTMX)
        assert response.status_code == 200
        return response.content.decode()

    def test_queued_running_done(self, manager, client_for, django_capture_on_commit_callbacks):
        http = client_for(manager)
        job, run, _ = self.start(manager, django_capture_on_commit_callbacks)
        assert job.status == recalculate.QUEUED
        body = self.poll(http)
        assert 'data-job="queued"' in body and 'hx-trigger="every 1s"' in body
        assert "Asked by Morgan Lee" in body

        recalculate._advance(job.key, run, status=recalculate.RUNNING, percent=40)
        body = self.poll(http)
        assert 'data-job="running"' in body and "Recalculating the figures: 40 %" in body
        assert 'value="40"' in body and 'hx-trigger="every 1s"' in body

        recalculate._advance(job.key, run, status=recalculate.QUEUED)
        assert recalculate.recalculation_run(key=job.key, run=run) == recalculate.DONE
        body = self.poll(http)
        finished = timezone.localtime(recalculate.job_for(default_window()).finished_at)
        assert "Recalculated at <time datetime=" in body and f">{when(finished)}</time>" in body
        assert f'href="/dashboard/?{in_html(default_query())}">Reload the figures</a>' in body
        assert "hx-trigger" not in body  # done: the polling stops

    def test_nothing_asked_shows_the_button(self, manager, client_for):
        body = self.poll(client_for(manager))
        assert "Recalculate now" in body and "hx-trigger" not in body

    def test_a_run_is_claimed_once(self, manager, django_capture_on_commit_callbacks):
        job, run, _ = self.start(manager, django_capture_on_commit_callbacks)
        assert recalculate.recalculation_run(key=job.key, run=run) == recalculate.DONE
        assert recalculate.recalculation_run(key=job.key, run=run) == "skipped"
        assert recalculate.recalculation_run(key=job.key, run="an-older-run") == "skipped"

    def test_a_failure_says_so_and_offers_to_try_again(
        self, manager, client_for, monkeypatch, django_capture_on_commit_callbacks
    ):
        def broken(*args, **kwargs):
            raise ZeroDivisionError

        monkeypatch.setattr(recalculate, "stored_alignment", broken)
        http = client_for(manager)
        with django_capture_on_commit_callbacks(execute=True):
            http.post(URL, {"from": "", "to": ""}, **HTMX)
        body = self.poll(http)
        assert 'data-job="failed"' in body
        assert "The recalculation did not finish: Something went wrong while computing." in body
        assert "Try again" in body and "hx-trigger" not in body

    def test_a_broker_that_does_not_answer_fails_the_job(
        self, manager, client_for, monkeypatch, django_capture_on_commit_callbacks
    ):
        def refuse(*args, **kwargs):
            raise OperationalError("connection refused")

        monkeypatch.setattr(tasks.recalculate_figures, "apply_async", refuse)
        http = client_for(manager)
        with django_capture_on_commit_callbacks(execute=True):
            http.post(URL, {"from": "", "to": ""}, **HTMX)
        assert "The job queue did not answer. Try again in a minute." in self.poll(http)

    def test_a_job_gone_quiet_has_died_and_can_be_asked_again(
        self, manager, client_for, django_capture_on_commit_callbacks
    ):
        job, run, _ = self.start(manager, django_capture_on_commit_callbacks)
        MetricsSnapshot.objects.filter(key=job.key).update(
            computed_at=timezone.now() - recalculate.STALE_AFTER - datetime.timedelta(seconds=1)
        )
        assert "stopped without finishing" in self.poll(client_for(manager))
        with django_capture_on_commit_callbacks(execute=True):
            client_for(manager).post(URL, {"from": "", "to": ""}, **HTMX)
        assert job_row().payload["status"] == recalculate.DONE
        assert job_row().payload["run"] != run
        assert recalculate.recalculation_run(key=job.key, run=run) == "skipped"

    def test_a_team_removed_meanwhile_fails_the_job(
        self, manager, django_capture_on_commit_callbacks
    ):
        team = TeamFactory(name="Delivery North", kind=TeamKind.DELIVERY)
        window = window_for(*default_range(), team)
        with django_capture_on_commit_callbacks():
            job = recalculate.recalculation_start(
                window=window, actor=manager, enqueue=lambda key, run: None
            )
        run = job_row().payload["run"]
        team.delete()
        assert recalculate.recalculation_run(key=job.key, run=run) == recalculate.FAILED
        assert job_row().payload["error"] == "The team of this range no longer exists."


class TestWho:
    def test_only_managers(self, rep, pm, manager, client_for, client):
        for user in (rep, pm):
            http = client_for(user)
            assert http.post(URL, **HTMX).status_code == 403
            assert http.get(STATUS, **HTMX).status_code == 403
        assert client.post(URL).status_code == 302
        assert "/accounts/login/" in client.get(STATUS)["Location"]
        assert client_for(manager).get(URL).status_code == 405
        assert client_for(manager).post(STATUS).status_code == 405
        assert not MetricsSnapshot.objects.exists()

    def test_bad_input_falls_back_to_the_default_range(
        self, manager, client_for, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(manager).post(URL, {"from": "soon", "to": "2026-13-40"})
        assert response.status_code == 302
        assert response["Location"] == f"/dashboard/?{default_query()}"
