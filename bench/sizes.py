"""What the data costs to keep: PostgreSQL's size of each table, and a process's resident memory.

A table's size is `pg_total_relation_size`: its rows, its indexes and its TOAST; a table
partitioned by month counts its partitions. Figures per 100,000 deals let two scales compare.
"""

from pathlib import Path

from django.db import connection

MB = 1024 * 1024


def table_sizes() -> list[dict]:
    """Each table of the schema, largest first: a partitioned table once, with its partitions."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname,
                   COALESCE(
                       (SELECT sum(pg_total_relation_size(t.relid))
                        FROM pg_partition_tree(c.oid) t WHERE t.isleaf)::bigint,
                       pg_total_relation_size(c.oid)
                   ) AS total,
                   COALESCE(
                       (SELECT sum(pg_indexes_size(t.relid))
                        FROM pg_partition_tree(c.oid) t WHERE t.isleaf)::bigint,
                       pg_indexes_size(c.oid)
                   ) AS indexes,
                   CASE WHEN c.relkind = 'p' THEN
                       (SELECT count(*) FROM pg_partition_tree(c.oid) t WHERE t.isleaf)
                   END AS partitions
            FROM pg_class c
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND c.relnamespace = 'public'::regnamespace
            ORDER BY total DESC, c.relname
            """
        )
        rows = cursor.fetchall()
    return [
        {
            "table": name,
            "mb": round(total / MB, 1),
            "indexes_mb": round(indexes / MB, 1),
            **({"partitions": partitions} if partitions is not None else {}),
        }
        for name, total, indexes, partitions in rows
    ]


def database_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return cursor.fetchone()[0]


def sizes(deals: int, *, largest: int = 15) -> dict:
    """The database's total and its largest tables, each also per 100,000 deals."""
    per = 100_000 / deals if deals else None
    tables = table_sizes()
    for row in tables:
        row["mb_per_100k_deals"] = round(row["mb"] * per, 1) if per else None
    total = database_size() / MB
    return {
        "deals": deals,
        "database_mb": round(total, 1),
        "database_mb_per_100k_deals": round(total * per, 1) if per else None,
        "tables": tables[:largest],
        "other_tables_mb": round(sum(row["mb"] for row in tables[largest:]), 1),
        "how": "pg_total_relation_size of each table (rows, indexes, TOAST; a partitioned table "
        "with all its partitions) and pg_database_size, after the generation's VACUUM ANALYZE",
    }


def rss_mb(pid: int) -> float | None:
    """A process's resident memory (VmRSS of /proc/<pid>/status) in MB; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None
