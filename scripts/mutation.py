"""Runs mutmut (`make mutation`) so that it also mutates the workflow's @transaction.atomic services.

mutmut 3 leaves every decorated function alone, because copying a function whose decorator
registers something (a route, a task) or is a property breaks. `@transaction.atomic` is
neither: mutmut keeps a function's decorators on its trampoline and on each mutant, so a
mutant runs in a savepoint inside the trampoline's transaction, which commits and rolls back
exactly as the original does. Without this every public service of the workflow (submit, sign
off, win, ...) would go untested by mutation, leaving only the helpers they call.

Usage: python scripts/mutation.py run|results|show NAME|browse (mutmut's own commands), or
`summary`: the mutants that lived, the counts of the last run and the share killed.
"""

import json
import sys
from collections import Counter
from importlib.metadata import version
from pathlib import Path

import libcst as cst
import libcst.matchers as m

# The patch below reads the visitor's internals, which are mutmut's own; check them on an upgrade.
SUPPORTED = "3.8."
if not version("mutmut").startswith(SUPPORTED):
    sys.exit(f"scripts/mutation.py supports mutmut {SUPPORTED}x, not {version('mutmut')}")

from libcst.metadata import PositionProvider  # noqa: E402
from mutmut.mutation import file_mutation  # noqa: E402

ATOMIC = m.Attribute(value=m.Name("transaction"), attr=m.Name("atomic"))
_skip_node_and_children = file_mutation.MutationVisitor._skip_node_and_children


def _only_atomic(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.FunctionDef)
        and bool(node.decorators)
        and all(m.matches(d.decorator, ATOMIC) for d in node.decorators)
    )


def _skip_unless_atomic(self, node: cst.CSTNode) -> bool:
    if not _only_atomic(node):
        return _skip_node_and_children(self, node)
    # The checks mutmut makes of an undecorated function: pragmas, then names it never mutates.
    position = self.get_metadata(PositionProvider, node, None)
    if position and position.start.line in self._ignored_node_lines:
        self.ignored_functions.add(node.name.value)
        return True
    return node.name.value in file_mutation.NEVER_MUTATE_FUNCTION_NAMES


file_mutation.MutationVisitor._skip_node_and_children = _skip_unless_atomic


def summary() -> str:
    """The last run's figures and the mutants that lived, read from mutmut's files in mutants/."""
    from mutmut.stats import status_by_exit_code

    status_by_mutant = {}
    for meta in sorted(Path("mutants").rglob("*.py.meta")):
        for name, exit_code in json.loads(meta.read_text())["exit_code_by_key"].items():
            status_by_mutant[name] = status_by_exit_code[exit_code]
    counts = Counter(status_by_mutant.values())
    total, killed = len(status_by_mutant), counts["killed"]
    share = 100 * killed / total if total else 0.0
    lines = [f"{name}: {status}" for name, status in status_by_mutant.items() if status != "killed"]
    lines.append(
        f"{total} mutants: {killed} killed ({share:.1f} %), {counts['survived']} survived, "
        f"{counts['timeout']} timeouts, {counts['no tests']} without tests, "
        f"{counts['suspicious']} suspicious, {counts['not checked']} not checked"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["summary"]:
        print(summary())
    else:
        from mutmut.__main__ import cli

        cli()
