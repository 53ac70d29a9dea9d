"""A served stack for tests that read its settings and reports, never starting it."""

from pathlib import Path

from bench.stack import Stack


def a_stack(tmp_path: Path, **fields) -> Stack:
    """The current code's stack, every path in `tmp_path` unless `fields` say otherwise."""
    return Stack(
        **{
            "label": "current",
            "root": tmp_path,
            "bin": tmp_path,
            "database_url": "postgres://postgres@127.0.0.1:5432/handoff_bench_x",
            "broker": "",
            "work": tmp_path,
            "workers": 5,
            **fields,
        }
    )
