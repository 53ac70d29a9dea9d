"""`python -m bench`: generate data at two scales, time the pages, load-test, build digests.

Recreates the PostgreSQL database named by DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/handoff_bench; its name must contain "bench"),
then writes bench/results.json and prints a table.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--deals", type=int, default=100_000, help="deals at the large scale")
    parser.add_argument("--small", type=int, default=1_000, help="deals at the small scale")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--skip-load", action="store_true", help="no gunicorn + locust run")
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument("--load-users", type=int, default=25)
    parser.add_argument(
        "--load-rate", type=float, default=1.8, help="tasks/s per user (a task is 1 to 6 requests)"
    )
    parser.add_argument(
        "--load-workers", type=int, default=None, help="gunicorn workers (default 2 per core + 1)"
    )
    parser.add_argument("--digest-users", type=int, default=1_000)
    parser.add_argument(
        "--import-rows", type=int, default=10_000, help="rows of the CSV import of deals"
    )
    parser.add_argument(
        "--import-compare",
        action="store_true",
        help="the import once more, each deal through the intake alone, for the ratio",
    )
    parser.add_argument(
        "--load-only",
        action="store_true",
        help="only the load test, on the database a previous run generated; updates its results",
    )
    parser.add_argument(
        "--import-only",
        action="store_true",
        help="only the import case, on the database a previous run generated; updates its results",
    )
    parser.add_argument(
        "--quick", action="store_true", help="development: 2,000 deals, 10 requests, 20 s load"
    )
    parser.add_argument(
        "--output", type=lambda text: Path(text).expanduser(), default=None, help="results file"
    )
    parser.add_argument(
        "--show", action="store_true", help="print the table of the last results, as Markdown too"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.deals, args.small, args.requests = 2_000, 500, 10
        args.load_seconds, args.digest_users = 20, 100
        args.import_rows = 1_000
    if args.output is None:
        args.output = (
            ROOT / "var" / "bench" / "results-quick.json"
            if args.quick
            else BENCH_DIR / "results.json"
        )
    return args


def setup_django() -> str:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or "bench" not in name:
        sys.exit(
            f"Refusing to recreate {name!r}: the benchmark needs a PostgreSQL database named *bench*."
        )
    return name


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.show:
        results = json.loads(args.output.read_text())
        print_table(results)
        print()
        print(markdown(results))
        return 0
    started = time.perf_counter()
    name = setup_django()
    if args.load_only:
        return load_only(args)
    if args.import_only:
        return import_only(args)

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench import generate, measure

    small_name = f"{name}_small"
    generation = {}
    for label, database, steps in (
        ("small", small_name, [args.small]),
        ("large", name, [args.small, args.deals]),
    ):
        print(f"Recreating database {database} …", flush=True)
        connection.close()
        generate.recreate_database(database)
        measure.use_database(database)
        call_command("migrate", verbosity=0)
        runs = []
        for deals in steps:
            print(f"Generating {deals:,} deals in {database} …", flush=True)
            runs.append(generate.generate(deals))
        generation[label] = {
            "database": database,
            "deals": runs[-1]["deals"],
            "seconds": round(sum(r["seconds"] for r in runs), 1),
            "steps": [{k: v for k, v in r.items() if k != "tables"} for r in runs],
        }
    machine = measure.machine()

    print(
        f"Timing pages at {args.small:,} and {args.deals:,} deals, taking turns "
        f"({args.requests} requests each) …",
        flush=True,
    )
    scales = measure.measure_scales({"small": small_name, "large": name}, args.requests)
    computations = measure.measure_computations({"small": small_name, "large": name})
    cache_fills = measure.measure_cache_fills({"small": small_name, "large": name})
    measure.use_database(name)

    digests = {}
    try:
        from bench import digests as digest_bench

        print(f"Building the digests of {args.digest_users:,} users …", flush=True)
        digests = digest_bench.run(args.digest_users)
    except Exception as error:
        digests = {"error": f"{type(error).__name__}: {error}"}
        print(f"  digests: {digests['error']}")

    try:
        from bench import imports as import_bench

        print(f"Importing a CSV of {args.import_rows:,} rows of deals …", flush=True)
        deal_import = import_bench.run(args.import_rows, compare=args.import_compare)
    except Exception as error:
        deal_import = {"error": f"{type(error).__name__}: {error}"}
        print(f"  import: {deal_import['error']}")

    load = {"skipped": True}
    if not args.skip_load:
        try:
            load = run_load(args)
        except Exception as error:
            load = {"error": f"{type(error).__name__}: {error}"}
            print(f"  load: {load['error']}")

    results = report(args, scales, generation, digests, load, machine)
    results["import"] = deal_import
    results["dashboard_computation"] = {
        "median_ms_1k": computations["small"]["median_ms"],
        "median_ms_100k": computations["large"]["median_ms"],
        "queries": computations["large"]["queries"],
        "how": "the alignment figures over the default 90-day range, both teams: the work of the "
        "scheduled job, a stale read or Recalculate now; the page reads the stored result",
    }
    results["cache_fills"] = {
        **cache_fills,
        "how": "built with the cache cold: the calibration table from every resolved promise, "
        "the tentative load of every deal in review or signed off; pages read them cached",
    }
    results["generated_at"] = timezone.now().isoformat(timespec="seconds")
    results["seconds"] = round(time.perf_counter() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    print(f"\nWrote {shown(args.output)} in {results['seconds']:.0f} s.")
    return 0


def shown(path: Path) -> str:
    """The path as the last line names it: from the repository's root if it is inside it."""
    resolved = path.expanduser().resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(resolved)


def run_load(args: argparse.Namespace) -> dict:
    from bench import load as load_test

    print(f"Load test: {args.load_users} users for {args.load_seconds} s …", flush=True)
    return load_test.run(
        seconds=args.load_seconds,
        users=args.load_users,
        rate=args.load_rate,
        workers=args.load_workers,
    )


def load_only(args: argparse.Namespace) -> int:
    """Run the load test again on the generated data and replace "load" in the results."""
    results = json.loads(args.output.read_text()) if args.output.exists() else {}
    results["load"] = run_load(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    if results.get("pages"):
        print_table(results)
    else:
        print(json.dumps({k: v for k, v in results["load"].items() if k != "endpoints"}))
    return 0


def import_only(args: argparse.Namespace) -> int:
    """Run the import case again on the generated data and replace "import" in the results."""
    from django.utils import timezone

    from bench import imports as import_bench

    results = json.loads(args.output.read_text()) if args.output.exists() else {}
    print(f"Importing a CSV of {args.import_rows:,} rows of deals …", flush=True)
    results["import"] = import_bench.run(args.import_rows, compare=args.import_compare)
    results["import"]["measured_at"] = timezone.now().isoformat(timespec="seconds")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results["import"], indent=2))
    return 0


def report(args, scales, generation, digests, load, machine) -> dict:
    from bench.measure import ANSWERED, PAGES

    small, large = scales["small"], scales["large"]
    pages = []
    for page in PAGES:
        a, b = small.get(page.name, {}), large.get(page.name, {})
        row = {
            "name": page.name,
            "kind": page.kind,
            "url": b.get("url") or a.get("url"),
            "median_ms_1k": a.get("median_ms"),
            "median_ms_100k": b.get("median_ms"),
            "p95_ms_100k": b.get("p95_ms"),
            "queries_1k": a.get("queries"),
            "queries_100k": b.get("queries"),
        }
        if a.get("status") not in ANSWERED or b.get("status") not in ANSWERED:
            row["status"] = b.get("status") or a.get("status")
        pages.append(row)
    by_name = {p["name"]: p for p in pages}
    admin = by_name["admin deal changelist"]
    floor = by_name["floor: bare view"]
    return {
        "pages": pages,
        "floor_median_ms": floor["median_ms_100k"],
        "admin_median_ms_100k": admin["median_ms_100k"],
        "admin_median_ms_1k": admin["median_ms_1k"],
        "scales": {"small_deals": args.small, "large_deals": args.deals},
        "requests_per_page": args.requests,
        "generation": generation,
        "load": load,
        "digests": digests,
        "machine": machine,
    }


def print_table(results: dict) -> None:
    small, large = results["scales"]["small_deals"], results["scales"]["large_deals"]
    admin = results["admin_median_ms_100k"]
    print()
    header = (
        f"{'page':<26} {'ms @' + format(small, ','):>10} {'ms @' + format(large, ','):>12} "
        f"{'p95':>8} {'ratio':>6} {'vs admin':>8} {'queries':>9}"
    )
    print(header)
    print("-" * len(header))
    for p in results["pages"]:
        if p.get("status"):
            print(f"{p['name']:<26} {'HTTP ' + str(p['status']):>10}")
            continue
        ratio = p["median_ms_100k"] / p["median_ms_1k"] if p["median_ms_1k"] else None
        versus = p["median_ms_100k"] / admin if admin and p["kind"] == "list" else None
        queries = f"{p['queries_1k']}/{p['queries_100k']}"
        print(
            f"{p['name']:<26} {p['median_ms_1k']:>10.1f} {p['median_ms_100k']:>12.1f} "
            f"{p['p95_ms_100k']:>8.1f} {ratio or 0:>6.2f} "
            f"{(f'{versus:.2f}' if versus else ''):>8} {queries:>9}"
        )
    computation = results.get("dashboard_computation")
    if computation:
        print(
            f"\nDashboard figures computed (the job's work): {computation['median_ms_1k']:.0f} ms "
            f"at {small:,}, {computation['median_ms_100k']:.0f} ms at {large:,} deals"
        )
    load = results["load"]
    if load.get("requests"):
        print(
            f"\nLoad: {load['requests_per_second']:.1f} req/s, p50 {load['p50_ms']} ms, "
            f"p95 {load['p95_ms']} ms, p99 {load['p99_ms']} ms, "
            f"{load['failures']} errors of {load['requests']} requests"
        )
    deal_import = results.get("import") or {}
    if deal_import.get("rows"):
        print(
            f"Import: {deal_import['rows']:,} rows ({deal_import['deals']:,} deals) previewed in "
            f"{deal_import['preview_seconds']} s, imported in {deal_import['import_seconds']} s "
            f"({deal_import.get('total_seconds')} s against a goal of "
            f"{deal_import.get('goal_seconds', 60)} s; {deal_import.get('python_cpu_seconds')} s "
            f"of this process's CPU, {deal_import.get('import_queries', '?')} queries to import)"
        )
    digests = results["digests"]
    if digests.get("users"):
        print(
            f"Digests: {digests['users']} users in {digests['seconds']} s, "
            f"{digests['queries_per_digest']} queries per digest"
        )


def markdown(results: dict) -> str:
    """The figures as the README shows them."""
    small, large = results["scales"]["small_deals"], results["scales"]["large_deals"]
    admin = results["admin_median_ms_100k"]
    lines = [
        f"| page | median @ {small:,} deals | median @ {large:,} | p95 @ {large:,} "
        "| ratio | vs admin | queries |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for p in results["pages"]:
        if p.get("status"):
            lines.append(f"| {p['name']} | HTTP {p['status']} | | | | | |")
            continue
        ratio = p["median_ms_100k"] / p["median_ms_1k"]
        versus = f"{p['median_ms_100k'] / admin:.2f}" if admin and p["kind"] == "list" else ""
        lines.append(
            f"| {p['name']} | {p['median_ms_1k']:.1f} ms | {p['median_ms_100k']:.1f} ms "
            f"| {p['p95_ms_100k']:.1f} ms | {ratio:.2f} | {versus} "
            f"| {p['queries_1k']} / {p['queries_100k']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
