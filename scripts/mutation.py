"""Mutation testing of the modules whose logic the tests must pin: run mutmut, print the score per module.

    python scripts/mutation.py            # run mutmut (its config is [tool.mutmut] in pyproject.toml), then score
    python scripts/mutation.py --score    # score the last run again

A mutant that only changes a string literal (a message's wording) is counted apart: the goal is about
logic. A surviving logic mutant that no test can tell apart from the original is listed in EQUIVALENT,
with the reason, and counted as neither killed nor surviving. mutmut needs the test extra installed.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
GOAL = 0.90
NO_TESTS = 33  # mutmut's exit code for a mutant no selected test covers

# mutant name -> why no test can kill it
EQUIVALENT: dict[str, str] = {}


def main() -> int:
    if "--score" not in sys.argv:
        shutil.rmtree(MUTANTS, ignore_errors=True)  # mutmut would reuse mutants of files it already saw
        with (ROOT / "mutants.log").open("w") as out:
            command = [sys.executable, "-m", "mutmut", "run", "--max-children", "2"]
            subprocess.run(command, cwd=ROOT, stdout=out, stderr=out, check=False)  # noqa: S603 - fixed argv
    rows = score()
    print(f"{'module':<34} {'logic mutants':>13} {'killed':>7} {'survived':>9} {'equivalent':>10} {'score':>7}")
    failed = False
    for module, counts in rows.items():
        judged = counts["killed"] + counts["survived"]
        ratio = counts["killed"] / judged if judged else 1.0
        failed |= ratio < GOAL
        print(
            f"{module:<34} {judged + counts['equivalent']:>13} {counts['killed']:>7} {counts['survived']:>9} "
            f"{counts['equivalent']:>10} {ratio:>7.1%}"
        )
    survivors = [name for name, state in states().items() if state == "survived" and name not in EQUIVALENT]
    for name in survivors:
        print(f"  survived: {name}")
    return 1 if failed else 0


def states() -> dict[str, str]:
    """Every logic mutant of the last run: killed, survived, or equivalent (string-only ones left out)."""
    found: dict[str, str] = {}
    for meta in MUTANTS.rglob("*.py.meta"):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        strings_only = string_only_mutants(meta.with_suffix(""))
        for name, code in codes.items():
            if name in strings_only:
                continue
            if name in EQUIVALENT:
                found[name] = "equivalent"
            elif code in (0, NO_TESTS):
                found[name] = "survived"  # the tests passed, or no test runs that code at all
            elif code is not None:
                found[name] = "killed"  # the tests failed (1), timed out or crashed: the mutant was noticed
    return found


def score() -> dict[str, Counter[str]]:
    rows: dict[str, Counter[str]] = {}
    for name, state in sorted(states().items()):
        module = name.rsplit(".", 1)[0]
        rows.setdefault(module, Counter())[state] += 1
    return rows


def string_only_mutants(mutated_source: Path) -> set[str]:
    """Mutants whose function differs from the original only in string constants."""
    tree = ast.parse(mutated_source.read_text())
    functions = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    module = ".".join(mutated_source.relative_to(MUTANTS).with_suffix("").parts)
    result = set()
    for name, node in functions.items():
        match = re.fullmatch(r"(.+)__mutmut_(\d+)", name)
        original = functions.get(f"{match.group(1)}__mutmut_orig") if match else None
        if match and original is not None and shape(node) == shape(original):
            result.add(f"{module}.{name}")
    return result


def shape(function: ast.AST) -> str:
    """The function's AST with every string constant (and its own name) blanked."""
    copy = ast.parse(ast.unparse(function))
    for node in ast.walk(copy):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.name = ""
    return ast.dump(copy)


if __name__ == "__main__":
    raise SystemExit(main())
