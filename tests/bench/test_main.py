"""`python -m bench`'s own arguments and last line: an output file anywhere, inside or outside
the repository, is named without a crash at the end of a long run."""

from pathlib import Path

from bench.__main__ import BENCH_DIR, ROOT, parse_args, shown


def test_an_output_inside_the_repository_is_named_from_its_root():
    assert shown(BENCH_DIR / "results.json") == "bench/results.json"


def test_an_output_outside_the_repository_is_named_in_full(tmp_path):
    outside = tmp_path / "bench-results.json"
    assert not outside.resolve().is_relative_to(ROOT)
    assert shown(outside) == str(outside.resolve())


def test_a_relative_output_is_named_from_where_it_resolves(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert shown(Path("out/results.json")) == str(tmp_path.resolve() / "out" / "results.json")
    monkeypatch.chdir(ROOT)
    assert shown(Path("var/bench/results.json")) == "var/bench/results.json"


def test_the_output_option_expands_the_home_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert parse_args(["--output", "~/results.json"]).output == tmp_path / "results.json"
    assert parse_args([]).output == BENCH_DIR / "results.json"
    assert parse_args(["--quick"]).output == ROOT / "var" / "bench" / "results-quick.json"


def test_a_polls_own_time_is_what_it_takes_beyond_the_floor():
    from bench.__main__ import report
    from bench.measure import PAGES

    scales = {
        label: {
            page.name: {"status": 200, "median_ms": 2.0, "p95_ms": 3.0, "queries": 1}
            for page in PAGES
        }
        for label in ("small", "large")
    }
    scales["large"]["floor: bare view"]["median_ms"] = 1.5
    scales["large"]["poll: badge (PM)"]["median_ms"] = 4.25
    args = parse_args([])
    rows = {p["name"]: p for p in report(args, scales, {}, {}, {}, {})["pages"]}
    assert rows["poll: badge (PM)"]["view_ms_100k"] == 2.75
    assert "view_ms_100k" not in rows["deal list (rep)"]
