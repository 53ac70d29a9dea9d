"""The stack's CPU and memory read from /proc: a process tree's time, children that exited
included, and a worker's resident size."""

import os
import subprocess
import sys
import time

import pytest

from bench.cpu import (
    StackMeter,
    backends_of,
    busy_percent,
    children_by_parent,
    cpu_ms,
    machine_ticks,
    parent_of,
    rss_mb,
    tree,
)

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs /proc")
BURN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass\n"


def test_a_tree_holds_the_root_and_its_live_children():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert parent_of(child.pid) == os.getpid()
        assert child.pid in children_by_parent()[os.getpid()]
        assert set(tree(os.getpid())) >= {os.getpid(), child.pid}
    finally:
        child.kill()
        child.wait()


def test_a_child_that_exited_still_counts_in_its_parents_time():
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time\n"
            f"subprocess.run([sys.executable, '-c', {BURN.format(seconds=0.4)!r}])\n"
            "print('done', flush=True)\n"
            "time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout.readline().strip() == "done"
        # The burning child is gone; its 0.4 s are in the parent's reaped-children time.
        assert cpu_ms(tree(parent.pid)) >= 350
    finally:
        parent.kill()
        parent.wait()


def test_the_meter_says_what_a_step_spent():
    worker = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.readline()\n" + BURN.format(seconds=0.3)],
        stdin=subprocess.PIPE,
        text=True,
    )
    try:
        meter = StackMeter({"worker": worker.pid, "absent": None})
        before = meter.read()
        assert set(before) == {"worker"}
        worker.stdin.write("go\n")
        worker.stdin.flush()
        deadline = time.monotonic() + 10
        while meter.spent(before, meter.read())["worker"] < 250 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert meter.spent(before, meter.read())["worker"] >= 250
    finally:
        worker.kill()
        worker.wait()


def test_the_resident_size_of_a_process_and_of_one_gone():
    assert 5 < rss_mb(os.getpid()) < 2000
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert rss_mb(gone.pid) is None
    assert cpu_ms([gone.pid]) == 0


def test_the_machine_is_busy_between_none_and_all_of_its_time():
    before = machine_ticks()
    end = time.process_time() + 0.2
    while time.process_time() < end:
        pass
    share = busy_percent(before, machine_ticks())
    assert 0 < share <= 100
    assert busy_percent(before, before) is None


def test_the_backends_of_one_database_are_found_by_their_title():
    titles = {
        "ours": "postgres: 15/main: postgres handoff_bench_x 127.0.0.1(5000) idle",
        "other": "postgres: 15/main: postgres handoff_bench_x_base 127.0.0.1(5001) idle",
        "checkpointer": "postgres: 15/main: checkpointer",
    }
    children = {
        name: subprocess.Popen(["bash", "-c", f'exec -a "{title}" sleep 30'])
        for name, title in titles.items()
    }
    try:
        deadline = time.monotonic() + 10
        found = []
        while time.monotonic() < deadline:
            found = backends_of(os.getpid(), "handoff_bench_x", children_by_parent())
            if found:
                break
            time.sleep(0.05)
        assert found == [children["ours"].pid]
        meter = StackMeter({}, database=(os.getpid(), "handoff_bench_x"))
        before = meter.read_backends()
        assert set(before) == {children["ours"].pid}
        assert meter.backends_spent(before, meter.read_backends()) >= 0
        assert meter.backends_spent({}, {1: 30.0, 2: 12.5}) == 42.5
        assert meter.backends_spent({1: 10.0, 3: 99.0}, {1: 30.0}) == 20.0
    finally:
        for child in children.values():
            child.kill()
            child.wait()
