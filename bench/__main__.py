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

from bench.mixes import MIXES

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--deals", type=int, default=100_000, help="deals at the large scale")
    parser.add_argument("--small", type=int, default=1_000, help="deals at the small scale")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--skip-load", action="store_true", help="no gunicorn + locust run")
    parser.add_argument(
        "--load-seconds", type=int, default=None, help="seconds a load step (default 60)"
    )
    parser.add_argument(
        "--load-steps",
        type=rate_list,
        default=None,
        help="requests/s offered at each step, a comma list (default 25,50,75,100,150,200)",
    )
    parser.add_argument("--load-mix", choices=sorted(MIXES), default="mixed")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        default=None,
        help="the same steps on that commit too, from a git worktree on its own database",
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
        args.digest_users = 100
        args.import_rows = 1_000
    if args.load_steps is None:
        args.load_steps = [10.0, 20.0] if args.quick else [25.0, 50.0, 75.0, 100.0, 150.0, 200.0]
    if args.load_seconds is None:
        args.load_seconds = 10 if args.quick else 60
    if args.output is None:
        args.output = (
            ROOT / "var" / "bench" / "results-quick.json"
            if args.quick
            else BENCH_DIR / "results.json"
        )
    return args


def rate_list(text: str) -> list[float]:
    try:
        rates = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma list of numbers: {text!r}") from None
    if not rates or any(rate <= 0 for rate in rates):
        raise argparse.ArgumentTypeError("each step offers more than 0 requests per second")
    return rates


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
    from django.conf import settings
    from django.core.cache import cache

    if getattr(settings, "BENCH_CACHE_URL", None):
        cache.clear()  # its own Redis database: nothing cached by an earlier run is read
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

    from bench import generate, measure, sizes

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
    table_sizes = {}
    for label, database in (("small", small_name), ("large", name)):
        measure.use_database(database)
        table_sizes[label] = sizes.sizes(generation[label]["deals"])

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

    try:
        from bench import fanout

        fanout_figures = fanout.run(args.requests)
    except Exception as error:
        fanout_figures = {"error": f"{type(error).__name__}: {error}"}
        print(f"  fan-out: {fanout_figures['error']}")

    load = {"skipped": True}
    if not args.skip_load:
        try:
            load = run_load(args)
        except Exception as error:
            load = {"error": f"{type(error).__name__}: {error}"}
            print(f"  load: {load['error']}")

    results = report(args, scales, generation, digests, {}, machine)
    del results["load"]
    store_load(results, args, load)
    results["import"] = deal_import
    results["fanout"] = fanout_figures
    results["sizes"] = table_sizes
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


def load_key(args: argparse.Namespace) -> str:
    """Where a mix's figures go in the results: "load", "load_write_heavy"."""
    return "load" if args.load_mix == "mixed" else f"load_{args.load_mix.replace('-', '_')}"


def run_load(args: argparse.Namespace) -> dict:
    from bench import load as load_test

    steps = ", ".join(f"{rate:g}" for rate in args.load_steps)
    against = f", beside {args.baseline}" if args.baseline else ""
    print(
        f"Load test, {args.load_mix} mix: {steps} requests/s, {args.load_seconds} s each{against} …",
        flush=True,
    )
    return load_test.run(
        steps=args.load_steps,
        seconds=args.load_seconds,
        mix=args.load_mix,
        workers=args.load_workers,
        baseline=args.baseline,
        deals=args.deals,
    )


def store_load(results: dict, args: argparse.Namespace, load: dict) -> None:
    """A baseline comparison joins the mix's figures as "baseline"; a plain run replaces them."""
    key = load_key(args)
    if args.baseline:
        results.setdefault(key, {})["baseline"] = load
        return
    baseline = results.get(key, {}).get("baseline")
    results[key] = {**load, "baseline": baseline} if baseline else load


def load_only(args: argparse.Namespace) -> int:
    """Run the load test again on the generated data and replace its mix's figures."""
    results = json.loads(args.output.read_text()) if args.output.exists() else {}
    store_load(results, args, run_load(args))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print_load(results)
    print(f"\nWrote {shown(args.output)}.")
    return 0


def print_load(results: dict) -> None:
    """Each mix's steps, its knee, and a baseline's beside it."""
    for key in sorted(k for k in results if k.startswith("load")):
        load = results[key]
        for label, figures in (("", load), ("baseline ", load.get("baseline") or {})):
            sides = [("", figures)]
            if figures.get("current"):
                sides = [("current", figures["current"]), ("baseline", figures["baseline"])]
            for side, mix in sides:
                if not mix.get("steps"):
                    continue
                title = f"{key} {label}{side}".strip()
                print(
                    f"\n{title}: {mix['mix']} mix, unloaded p50 {mix['unloaded_p50_ms']} ms, "
                    f"knee {mix['knee']['requests_per_second']} requests/s, "
                    f"largest worker {mix['largest_worker_mb']} MB"
                )
                for step in mix["steps"]:
                    print(f"  {step_row(step)}")
            if figures.get("current"):
                print(
                    f"  knees: {figures['knee_current']} against {figures['knee_baseline']} "
                    f"requests/s, ratio {figures['knee_ratio']}"
                )


def step_row(step: dict) -> str:
    from bench.steps import row

    return row(step)


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
    for row in pages:
        # The floor passes the same middleware and sign-in: what a poll takes beyond it is
        # its view's own time.
        if row["kind"] == "poll" and row["median_ms_100k"] and floor["median_ms_100k"]:
            row["view_ms_100k"] = round(row["median_ms_100k"] - floor["median_ms_100k"], 2)
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
    print_load(results)
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
    stored = (results.get("sizes") or {}).get("large")
    if stored:
        largest = ", ".join(f"{t['table']} {t['mb']:,.0f}" for t in stored["tables"][:5])
        print(
            f"Database at {stored['deals']:,} deals: {stored['database_mb']:,.0f} MB "
            f"({stored['database_mb_per_100k_deals']:,.0f} MB per 100,000 deals); "
            f"largest tables (MB): {largest}"
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
