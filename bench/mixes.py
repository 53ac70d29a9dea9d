"""The load's mixes: which tasks each role runs and how often, and the requests each task makes.

Every load-test user offers the same number of requests per second (bench/pacing.py), so a
role's share of the requests is its share of the users, and within a role a task's share is
its weight times the requests it makes. `write_share` says what part of the requests write.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    requests: float
    writes: float
    feature: str = ""  # a part of the app the task needs; a commit without it runs without it


# A review rules on each commitment of a deal (4 a deal in the generated data), reading the
# list first and signing off or requesting changes last.
COMMITMENTS_PER_REVIEW = 4
TASKS = {
    "deal_list": Task(1, 0),
    "deal_search": Task(1, 0),
    "own_deal": Task(1, 0),
    "home": Task(1, 0),
    "api_deals": Task(1, 0),
    "create_and_submit": Task(3, 3),
    "import_deals": Task(1, 1, feature="imports"),
    "queue": Task(1, 0),
    "deal_page": Task(1, 0),
    "project": Task(1, 0),
    "review": Task(COMMITMENTS_PER_REVIEW + 2, COMMITMENTS_PER_REVIEW + 1),
    "dashboard": Task(1, 0),
    "api_won": Task(1, 0),
}
# Of 11 users 6 are reps, 4 PMs and 1 a manager, roughly the mix of the people.
ROLE_WEIGHTS = {"sales": 6, "pm": 4, "manager": 1}
MIXES = {
    "mixed": {
        "sales": {
            "deal_list": 8,
            "deal_search": 2,
            "own_deal": 8,
            "home": 2,
            "api_deals": 4,
            "create_and_submit": 1,
            "import_deals": 1,
        },
        "pm": {"queue": 10, "deal_page": 8, "project": 4, "review": 1},
        "manager": {"dashboard": 1, "deal_list": 2, "queue": 1, "api_won": 1},
    },
    "write-heavy": {
        "sales": {
            "deal_list": 5,
            "deal_search": 1,
            "own_deal": 4,
            "home": 1,
            "api_deals": 2,
            "create_and_submit": 2,
            "import_deals": 1,
        },
        "pm": {"queue": 5, "deal_page": 3, "project": 1, "review": 1},
        "manager": {"dashboard": 1, "deal_list": 2, "queue": 1, "api_won": 1},
    },
}


def tasks_of(mix: str, role: str, features: set[str]) -> dict[str, int]:
    """The role's tasks and weights in this mix, without those whose feature the app lacks."""
    return {
        name: weight
        for name, weight in MIXES[mix][role].items()
        if not TASKS[name].feature or TASKS[name].feature in features
    }


def write_share(mix: str, features: set[str] | None = None) -> float:
    """The part of the offered requests that write, as the mix is designed."""
    features = {task.feature for task in TASKS.values()} if features is None else features
    total = sum(ROLE_WEIGHTS.values())
    share = 0.0
    for role, weight in ROLE_WEIGHTS.items():
        tasks = tasks_of(mix, role, features)
        requests = sum(w * TASKS[name].requests for name, w in tasks.items())
        writes = sum(w * TASKS[name].writes for name, w in tasks.items())
        share += weight / total * writes / requests
    return share


def left_out(mix: str, features: set[str]) -> list[str]:
    """The mix's tasks that need a feature the app lacks."""
    names = {name for tasks in MIXES[mix].values() for name in tasks}
    return sorted(n for n in names if TASKS[n].feature and TASKS[n].feature not in features)
