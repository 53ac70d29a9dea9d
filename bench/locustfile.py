"""The mixed load: reps, PMs and managers reading pages and the API, and writing through the API.

Run by `python -m bench` (bench/load.py) against gunicorn on 127.0.0.1, one locust run a step.
The users, their session cookies, API tokens and the deals each may work on come from the
JSON file named by BENCH_LOAD_USERS (bench/load_users.py), so no two PMs review the same deal
and nobody logs in during the run. BENCH_LOAD_MIX names the mix (bench/mixes.py) and
BENCH_LOAD_RATE the requests per second each user offers.
"""

import collections
import io
import itertools
import json
import os
import random
import time
from datetime import date, timedelta

import gevent
from locust import FastHttpUser

from bench.mixes import ROLE_WEIGHTS, tasks_of
from bench.pacing import poisson_pacing

with open(os.environ["BENCH_LOAD_USERS"]) as prepared:
    PREPARED = json.load(prepared)
RATE = float(os.environ["BENCH_LOAD_RATE"])
MIX = os.environ.get("BENCH_LOAD_MIX", "mixed")
FEATURES = set(PREPARED["features"])
IMPORT_ROWS = 50
_counters = {role: itertools.count() for role in PREPARED["users"]}
# Expected answers of a workflow under concurrency: a conflict is an answer, not an error.
EXPECTED_WRITE = {200, 201, 204, 409}
# Deals the reps submitted during the run: PMs review them once the prepared ones are done.
SUBMITTED: collections.deque[int] = collections.deque(maxlen=10_000)


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
        self.rng = random.Random(f"{self.person['username']}-{id(self)}")  # noqa: S311
        self.next_start = time.monotonic()
        # The first task too comes after a random gap, not at the instant all users were spawned.
        self.requests_made = 1
        gevent.sleep(self.wait_time())

    def page(self, url: str, name: str) -> None:
        self.requests_made += 1
        self.client.get(url, name=name, headers=self.browser)

    def api_get(self, url: str, name: str):
        self.requests_made += 1
        return self.client.get(url, headers=self.api, name=name)

    def api_post(self, url: str, name: str, payload: dict | None = None, **kwargs):
        self.requests_made += 1
        headers = {**self.api, **kwargs.pop("headers", {})}
        if "data" not in kwargs:
            kwargs["json"] = payload or {}
        with self.client.post(
            url, headers=headers, name=name, catch_response=True, **kwargs
        ) as response:
            if response.status_code in EXPECTED_WRITE:
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
            return response

    def deal_list(self) -> None:
        self.page("/deals/", "/deals/")

    def queue(self) -> None:
        self.page("/deals/queue/", "/deals/queue/")


class Rep(Person):
    role = "sales"

    def deal_search(self) -> None:
        self.page("/deals/?q=platform&status=in_review", "/deals/?q&status")

    def own_deal(self) -> None:
        if self.person["deals"]:
            self.page(f"/deals/{self.rng.choice(self.person['deals'])}/", "/deals/<id>/")

    def home(self) -> None:
        self.page("/", "/ (home)")

    def api_deals(self) -> None:
        self.api_get("/api/v1/deals/", "/api/v1/deals/")

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
        submitted = self.api_post(
            f"/api/v1/deals/{deal}/submit/", "POST /api/v1/deals/<id>/submit/"
        )
        if submitted.status_code == 200:
            SUBMITTED.append(deal)

    def import_deals(self) -> None:
        """A CSV of 50 rows, 10 new deals of 5 commitments each, through the import API."""
        boundary = f"bench{self.rng.randrange(10**12)}"
        body = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="deals.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
            f"{self.import_csv()}\r\n--{boundary}--\r\n"
        ).encode()
        self.api_post(
            "/api/v1/imports/deals/",
            "POST /api/v1/imports/deals/",
            data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    def import_csv(self) -> str:
        columns = PREPARED["import_columns"]
        today = date.today()
        batch = self.rng.randrange(10**9)
        kinds = ["scope", "timeline", "staffing", "integration", "support"]
        out = io.StringIO()
        out.write(",".join(columns) + "\n")
        for n in range(IMPORT_ROWS):
            deal, item = divmod(n, len(kinds))
            cells = {
                "external_id": f"load-{batch}-{deal}",
                "title": f"Imported rollout {batch}-{deal}",
                "client": f"Load client {self.rng.randrange(50)}",
                "owner": self.person["username"],
                "value": f"{10000 + deal}.00",
                "currency": "EUR",
                "expected_close_date": (today + timedelta(days=30)).isoformat(),
                "kind": kinds[item],
                "summary": f"Promise {item} of deal {deal}",
                "promised_date": (today + timedelta(days=120)).isoformat(),
                "effort_days": "3",
            }
            out.write(",".join(cells.get(c, "") for c in columns) + "\n")
        return out.getvalue()


class ProjectManager(Person):
    role = "pm"

    def on_start(self) -> None:
        super().on_start()
        self.reviews = PREPARED["reviews"].get(self.person["username"], [])

    def deal_page(self) -> None:
        if PREPARED["deals"]:
            self.page(f"/deals/{self.rng.choice(PREPARED['deals'])}/", "/deals/<id>/")

    def project(self) -> None:
        if PREPARED["projects"]:
            self.page(f"/projects/{self.rng.choice(PREPARED['projects'])}/", "/projects/<id>/")

    def review(self) -> None:
        """Rule on every commitment of one deal, then sign it off or request changes."""
        # Users playing one PM share the list, so a deal is reviewed once.
        if self.reviews:
            deal = self.reviews.pop()
        elif SUBMITTED:
            deal = SUBMITTED.popleft()
        else:
            return
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

    def dashboard(self) -> None:
        self.page("/dashboard/", "/dashboard/")

    def api_won(self) -> None:
        self.api_get("/api/v1/deals/?status=won", "/api/v1/deals/?status")


def _set_tasks() -> None:
    """Locust turns a class's task weights into a list when the class is made; these come later."""
    for person in (Rep, ProjectManager, Manager):
        person.weight = ROLE_WEIGHTS[person.role]
        person.tasks = [
            getattr(person, name)
            for name, weight in tasks_of(MIX, person.role, FEATURES).items()
            for _ in range(weight)
        ]


_set_tasks()
