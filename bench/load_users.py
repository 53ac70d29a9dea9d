"""The load test's people and work, read from the generated data into one file per step.

Sessions, API tokens, the deals each rep owns, and for each PM deals in review that nobody else
holds (unclaimed ones, or already claimed by that PM), shared out so that no two steps review
the same deal. It uses only models and fields an older commit of the app has as well, so the
same file serves a baseline: bench/stack.py runs it by path, from the tree of the commit being
loaded, so that commit's models and settings are the ones imported.
"""

import argparse
import json
import os
import sys
from pathlib import Path

PEOPLE = {"sales": 60, "pm": 30, "manager": 8}
REVIEW_POOL = 20_000


def features() -> set[str]:
    """The parts of the app a task of the mix may need, as far as this code has them."""
    from django.urls import Resolver404, resolve

    found = set()
    for name, url in (("imports", "/api/v1/imports/deals/"), ("webhooks", "/api/v1/webhooks/")):
        try:
            resolve(url)
        except Resolver404:
            continue
        found.add(name)
    return found


def people() -> dict[str, list[dict]]:
    from django.conf import settings
    from django.test import Client as HttpClient
    from rest_framework.authtoken.models import Token

    from bench.generate import USERNAME_PREFIX
    from deals.models import Deal
    from handoff.models import User

    users: dict[str, list[dict]] = {}
    for role, count in PEOPLE.items():
        found = User.objects.filter(username__startswith=USERNAME_PREFIX[role], role=role)
        for person in found.order_by("username")[:count]:
            http = HttpClient()
            http.force_login(person)
            token, _ = Token.objects.get_or_create(user=person)
            users.setdefault(role, []).append(
                {
                    "pk": person.pk,
                    "username": person.username,
                    "session": http.cookies[settings.SESSION_COOKIE_NAME].value,
                    "token": token.key,
                    "deals": list(
                        Deal.objects.filter(owner=person)
                        .order_by("-updated_at")
                        .values_list("pk", flat=True)[:50]
                    ),
                }
            )
    return users


def review_parts(pms: list[dict], parts: list[float]) -> list[dict[str, list[int]]]:
    """For each part, each PM's deals to review; a part's share of the pool is its weight's."""
    from deals.models import ReviewRound

    open_rounds = list(
        ReviewRound.objects.filter(decided_at__isnull=True, deal__status="in_review")
        .order_by("due_at")
        .values_list("deal_id", "reviewer_id")[:REVIEW_POOL]
    )
    return share_reviews(open_rounds, pms, parts)


def share_reviews(
    open_rounds: list[tuple[int, int | None]], pms: list[dict], parts: list[float]
) -> list[dict[str, list[int]]]:
    """A PM's own claimed deals stay theirs; unclaimed ones go round the PMs; each deal once."""
    by_pk = {pm["pk"]: pm["username"] for pm in pms}
    queues = {pm["username"]: [] for pm in pms}
    unclaimed = [deal for deal, reviewer in open_rounds if reviewer is None]
    for deal, reviewer in open_rounds:
        if reviewer in by_pk:
            queues[by_pk[reviewer]].append(deal)
    for i, deal in enumerate(unclaimed):
        if pms:
            queues[pms[i % len(pms)]["username"]].append(deal)
    total = sum(parts) or 1
    shared: list[dict[str, list[int]]] = [{} for _ in parts]
    for username, deals in queues.items():
        start = 0.0
        for i, weight in enumerate(parts):
            end = start + len(deals) * weight / total
            shared[i][username] = deals[round(start) : round(end)]
            start = end
    return shared


def projects() -> list[int]:
    from django.apps import apps

    try:
        project = apps.get_model("projects", "Project")
    except LookupError:
        return []
    return list(project.objects.order_by("-created_at").values_list("pk", flat=True)[:300])


def prepare(folder: Path, parts: list[float]) -> list[Path]:
    """One file per part (a step of the load), each with its own deals to review."""
    from deals.models import Client, Deal

    users = people()
    found = features()
    common = {
        "users": users,
        "features": sorted(found),
        "clients": list(Client.objects.order_by("pk").values_list("pk", flat=True)[:200]),
        "deals": list(
            Deal.objects.filter(first_submitted_at__isnull=False)
            .order_by("-updated_at")
            .values_list("pk", flat=True)[:500]
        ),
        "projects": projects(),
        "import_columns": [],
    }
    if "imports" in found:
        from deals.import_rows import COLUMNS

        common["import_columns"] = list(COLUMNS)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, reviews in enumerate(review_parts(users.get("pm", []), parts)):
        path = folder / f"load-users-{i}.json"
        path.write_text(json.dumps({**common, "reviews": reviews}))
        paths.append(path)
    return paths


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, required=True, help="folder of the files")
    parser.add_argument("--parts", required=True, help="comma list of each step's weight")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    paths = prepare(args.output, [float(p) for p in args.parts.split(",")])
    print(json.dumps([str(p) for p in paths]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
