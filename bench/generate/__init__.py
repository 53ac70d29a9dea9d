"""A realistic dataset written straight into PostgreSQL with COPY.

Every deal gets a history consistent with its status: review rounds, verdicts,
sign-offs and events as the workflow would have written them, so the pages,
the API and the win gate read it like real data. Models that do not exist
(yet) are skipped; a model field the generator does not know takes its
default, and a required field without one fails loudly.

Scale per 1,000 deals: 4,000 commitments, 200 won deals (projects) with
their deliverables, 300 feedback notes, 500 notifications, 600 webhook deliveries
of the last 90 days to three endpoints; 300 users.

Rows go in PostgreSQL's binary COPY format, formatted by psycopg. From
PARALLEL_FROM deals to add, one process per core makes the deals while the
parent's connection copies them in, all in one transaction.

The package: vocabulary (what the data is made of), tables (rows in COPY format), history
(a deal's rows), activity (the rows beside the deals), workers (the processes), generator.
"""

from bench.generate.generator import Generator, recreate_database
from bench.generate.tables import Table
from bench.generate.vocabulary import PASSWORD, USERNAME_PREFIX, USERS

__all__ = [
    "PASSWORD",
    "USERNAME_PREFIX",
    "USERS",
    "Generator",
    "Table",
    "bench_user",
    "generate",
    "recreate_database",
]


def generate(
    total_deals: int,
    *,
    seed: int = 1,
    check_constraints: bool = False,
    workers: int | None = None,
    log=print,
) -> dict:
    return Generator(seed=seed + total_deals, log=log).run(
        total_deals, check_constraints=check_constraints, workers=workers
    )


def bench_user(role: str, n: int = 1) -> str:
    return f"{USERNAME_PREFIX[role]}{n:03d}"
