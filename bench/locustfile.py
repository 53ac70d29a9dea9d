"""The mixed load: reps, PMs and managers reading pages and the API, and writing through the API.

Run by `python -m bench` (bench/load.py) against gunicorn on 127.0.0.1. The users,
their session cookies, API tokens and the deals each may work on come from the
JSON file named by BENCH_LOAD_USERS, prepared from the generated data, so no
two PMs review the same deal and nobody logs in during the run.
"""

import itertools
import json
import os
import random
import time
from datetime import date, timedelta

import gevent
from locust import FastHttpUser, task

from bench.pacing import poisson_pacing

with open(os.environ["BENCH_LOAD_USERS"]) as prepared:
    PREPARED = json.load(prepared)
RATE = float(os.environ["BENCH_LOAD_RATE"])
_counters = {role: itertools.count() for role in PREPARED["users"]}
# Expected answers of a workflow under concurrency: a conflict is an answer, not an error.
EXPECTED_WRITE = {200, 201, 204, 409}


# FastHttpUser (geventhttpclient) costs a fraction of the CPU of HttpUser per request: the
# load generator shares the machine with gunicorn and PostgreSQL, so its own cost matters.
class Person(FastHttpUser):
    abstract = True
    role = ""
    wait_time = poisson_pacing(RATE)

    def on_start(self) -> None:
        people = PREPARED["users"][self.role]
        self.person = people[next(_counters[self.role]) % len(people)]
        self.browser = {"Cookie": f"sessionid={self.person['session']}"}
        self.api = {"Authorization": f"Token {self.person['token']}"}
        self.rng = random.Random(self.person["username"])  # noqa: S311 - not for secrets
        self.next_start = time.monotonic()
        # The first task too comes after a random gap, not at the instant all users were spawned.
        gevent.sleep(self.wait_time())

    def page(self, url: str, name: str) -> None:
        self.client.get(url, name=name, headers=self.browser)

    def api_get(self, url: str, name: str):
        return self.client.get(url, headers=self.api, name=name)

    def api_post(self, url: str, name: str, payload: dict | None = None):
        with self.client.post(
            url, json=payload or {}, headers=self.api, name=name, catch_response=True
        ) as response:
            if response.status_code in EXPECTED_WRITE:
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
            return response


# Of 25 users some 14 are reps, 9 PMs and 2 managers, roughly the mix of the people.
class Rep(Person):
    role = "sales"
    weight = 6

    @task(4)
    def deal_list(self) -> None:
        self.page("/deals/", "/deals/")

    @task(1)
    def deal_search(self) -> None:
        self.page("/deals/?q=platform&status=in_review", "/deals/?q&status")

    @task(3)
    def own_deal(self) -> None:
        self.page(f"/deals/{self.rng.choice(self.person['deals'])}/", "/deals/<id>/")

    @task(1)
    def home(self) -> None:
        self.page("/", "/ (home)")

    @task(2)
    def api_deals(self) -> None:
        self.api_get("/api/v1/deals/", "/api/v1/deals/")

    @task(1)
    def create_and_submit(self) -> None:
        today = date.today()
        created = self.api_post(
            "/api/v1/deals/",
            "POST /api/v1/deals/",
            {
                "title": f"Load test deal {self.rng.randrange(10**9)}",
                "client": self.rng.choice(PREPARED["clients"]),
                "value": "120000.00",
                "currency": "EUR",
                "expected_close_date": (today + timedelta(days=30)).isoformat(),
            },
        )
        if created.status_code != 201:
            return
        deal = created.json()["id"]
        self.api_post(
            "/api/v1/commitments/",
            "POST /api/v1/commitments/",
            {
                "deal": deal,
                "kind": "scope",
                "summary": "Reporting module live",
                "promised_date": (today + timedelta(days=120)).isoformat(),
                "effort_days": "12.0",
            },
        )
        self.api_post(f"/api/v1/deals/{deal}/submit/", "POST /api/v1/deals/<id>/submit/")


class ProjectManager(Person):
    role = "pm"
    weight = 4

    @task(3)
    def queue(self) -> None:
        self.page("/deals/queue/", "/deals/queue/")

    @task(2)
    def deal(self) -> None:
        self.page(f"/deals/{self.rng.choice(PREPARED['deals'])}/", "/deals/<id>/")

    @task(1)
    def project(self) -> None:
        if PREPARED["projects"]:
            self.page(f"/projects/{self.rng.choice(PREPARED['projects'])}/", "/projects/<id>/")

    @task(1)
    def review(self) -> None:
        """Rule on every commitment of one deal, then sign it off or request changes."""
        if not self.person["reviews"]:
            return
        deal = self.person["reviews"].pop()
        listed = self.api_get(f"/api/v1/commitments/?deal={deal}", "/api/v1/commitments/?deal")
        if listed.status_code != 200:
            return
        body = listed.json()
        commitments = body["results"] if isinstance(body, dict) else body
        flag = self.rng.random() < 0.2
        for i, commitment in enumerate(commitments):
            payload = {"verdict": "approved"}
            if flag and i == 0:
                payload = {"verdict": "flagged", "reason": "Not with the team we have."}
            self.api_post(
                f"/api/v1/commitments/{commitment['id']}/verdict/",
                "POST /api/v1/commitments/<id>/verdict/",
                payload,
            )
        action = "request-changes" if flag else "sign-off"
        self.api_post(f"/api/v1/deals/{deal}/{action}/", f"POST /api/v1/deals/<id>/{action}/")


class Manager(Person):
    role = "manager"
    weight = 1

    @task(1)
    def dashboard(self) -> None:
        self.page("/dashboard/", "/dashboard/")

    @task(2)
    def deal_list(self) -> None:
        self.page("/deals/", "/deals/")

    @task(1)
    def queue(self) -> None:
        self.page("/deals/queue/", "/deals/queue/")

    @task(1)
    def api_won(self) -> None:
        self.api_get("/api/v1/deals/?status=won", "/api/v1/deals/?status")
