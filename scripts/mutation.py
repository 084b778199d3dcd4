"""Mutation testing of the modules whose logic the tests must pin: run mutmut, print the score per module.

    python scripts/mutation.py            # run mutmut (its config is [tool.mutmut] in pyproject.toml), then score
    python scripts/mutation.py --score    # score the last run again

A mutant that only changes a string literal (a message's wording) is counted apart: the goal is about
logic. A surviving logic mutant that no test can tell apart from the original is listed in EQUIVALENT,
with the reason, and counted as neither killed nor surviving. mutmut needs the test extra installed.
"""

from __future__ import annotations

import ast
import difflib
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
GOAL = 0.90
NO_TESTS = 33  # mutmut's exit code for a mutant no selected test covers


@dataclass(frozen=True)
class Equivalent:
    """Mutants of `function` whose changed line contains `mutated` (as `ast.unparse` writes it): no test
    can tell them from the original, for `reason`. Matched by text, not by mutmut's numbers, which shift
    whenever the code does."""

    function: str
    mutated: str
    reason: str


JSON_VALUES = "HostUp's models hold only JSON values (parsed from JSON), which dump alike in both modes"
KEYED_REQUEST = (
    "in per-user mode (the only one that binds) every request is an HTTP request with headers and a key: the gate "
    "refuses one without a key before any tool runs"
)
WINDOWS_ONLY = (
    "the Windows branch never runs on Linux, where mutation runs; tests/test_http_serve.py checks the exclusive bind "
    "on Windows CI"
)
LOGGED_DURATION = "0.1% of a logged duration"
SAME_CLOCK = "two float clock readings are never exactly equal in a test, and at equality both fail at once"
EQUIVALENT = [
    Equivalent("config.Config.from_env", "env.get(ENV_BASE_URL, None)", "`or` treats missing and empty alike"),
    Equivalent("config.Config.from_env", "env.get(ENV_BASE_URL) or", "`or` treats missing and empty alike"),
    Equivalent("config.Config.as_demo", "SecretStr(None)", "the demo key goes only to the sandbox, which reads none"),
    Equivalent("hostup.client.HostUpClient._attempt", "if remaining < 0:", SAME_CLOCK),
    Equivalent("hostup.client.HostUpClient._request", "time.monotonic() + wait > deadline", SAME_CLOCK),
    Equivalent(
        "hostup.client.HostUpClient._attempt",
        "headers=headers) as response:",
        "without the per-request timeout the client's own (HOSTUP_TIMEOUT, connect 5 s) applies and fail_after "
        "still bounds the request; with under 5 s left both timers fire at the same instant",
    ),
    Equivalent(
        "hostup.client.HostUpClient._attempt",
        "httpx.Timeout(None, connect=",
        "a read timeout and fail_after end in the same `except`: the same timed-out failure",
    ),
    Equivalent("hostup.client.HostUpClient._attempt", "* 1001)", LOGGED_DURATION),
    Equivalent("hostup.client.UnusableBodyError.__init__", "super().__init__(None)", "callers read .problem only"),
    Equivalent("hostup.ids.download_url_problem", "ord(char) <= 32", "0x20 is the space: isspace() refuses it"),
    Equivalent("hostup.ids.download_url_problem", "ord(char) < 33", "0x20 is the space: isspace() refuses it"),
    Equivalent("hostup.problems.excerpt", "body.decode(errors='replace')", "bytes.decode defaults to UTF-8"),
    Equivalent("hostup.problems.is_json_content_type", "content_type.split(';')[0]", "the first part is the same"),
    Equivalent("hostup.problems.is_json_content_type", "content_type.split(';', 2)[0]", "the first part is the same"),
    *(
        Equivalent("hostup.problems.unexpected_shape", fragment, "the message reads only each issue's loc and msg")
        for fragment in (
            "errors(include_input=False)",
            "errors(include_url=False)",
            "errors(include_url=True, include_input=False)",
            "errors(include_url=False, include_input=True)",
        )
    ),
    *(
        Equivalent("hostup.problems.Problem.to_structured", fragment, "HostUp's JSON values dump alike in both modes")
        for fragment in ("model_dump(mode=None, exclude_none=True)", "model_dump(exclude_none=True)")
    ),
    *(
        Equivalent(
            "http.build_app",
            fragment,
            "mcp 2.3 issues no session and needs none on either setting (tests/test_http_gate.py: "
            "test_no_request_needs_a_session_from_an_earlier_one)",
        )
        for fragment in ("stateless_http=False", "stateless_http=None")
    ),
    Equivalent("hostup.reading.BoundedDecoder.__init__", "self._fed = None", "`None or bool(chunk)` is `bool(chunk)`"),
    Equivalent(
        "hostup.reading.BoundedDecoder.__init__", "zlib.MAX_WBITS | 33", "MAX_WBITS is 15: 15 | 33 == 15 | 32 == 47"
    ),
    Equivalent(
        "hostup.reading.BoundedDecoder.feed",
        "self._produced + 2)",
        "one byte more decoded of a body that is refused either way",
    ),
    Equivalent("tools.render.render_job", "ensure_ascii=None", "None is falsy, like False"),
    Equivalent("tools.text.extras", "ensure_ascii=None", "None is falsy, like False"),
    Equivalent("tools.text.bounded", "> limit / 4", "sizes are whole numbers: `> n / 4` and `> n // 4` agree"),
    Equivalent(
        "tools.text.bounded",
        "lines[:len(lines) + len(tail)]",
        "the head never reaches the tail: if it could, the whole text would have fitted",
    ),
    *(
        Equivalent(function, fragment, JSON_VALUES)
        for function in (
            "tools.read.list_vps_result",
            "tools.read.iso_media_result",
            "tools.read.job_result",
            "tools.write.mount_result",
            "tools.write.unmount_result",
            "tools.write.download_result",
            "tools.write.delete_result",
        )
        for fragment in ("mode=None", "model_dump(exclude", "model_dump(exclude_unset=True)")
    ),
    *(
        Equivalent("tools.write.unmount_result", fragment, "UnmountResult's one field is required: none is ever unset")
        for fragment in ("model_dump(mode='json')", "exclude_unset=False")
    ),
    Equivalent("tools.write.download_result", "idempotent=None", "None is falsy, like False"),
    Equivalent(
        "tools.registry.caller_of", "headers.get('authorization'", "a missing header: None and '' are both no caller"
    ),
    Equivalent(
        "tools.registry.CallLimit.refuses",
        "(self.per_caller or 1)",
        "per_caller is None only without a limit, and then refuses() has returned already",
    ),
    *(
        Equivalent(function, fragment, "every tool body returns a CallToolResult, which the SDK passes on as is")
        for function in ("tools.registry.GuardedTool.run", "tools.registry.GuardedTool.run_guarded")
        for fragment in ("context, None)", "(arguments, context)")
    ),
    *(
        Equivalent(function, fragment, "the length of a random per-process key")
        for function in ("http.Gate.__init__", "http.state_security")
        for fragment in ("os.urandom(33)",)
    ),
    *(
        Equivalent("http.escape", fragment, "U+0100 is printable, so it is never escaped")
        for fragment in ("ord(char) <= 256", "ord(char) < 257")
    ),
    *(
        Equivalent("http.key_principal", fragment, KEYED_REQUEST)
        for fragment in ("getattr(ctx.request, 'headers')", "headers is not None or True", "if key or True")
    ),
    *(
        Equivalent("http.build_app", fragment, "`host` only picks the SDK's default transport security, always given")
        for fragment in (
            "transport_security=host_checks(settings), host=None)",
            "transport_security=host_checks(settings))",
        )
    ),
    Equivalent("http.build_app", "streamable_http_app(stateless_http=True", "the SDK's default path is /mcp too"),
    Equivalent(
        "http.host_checks",
        "TransportSecuritySettings(allowed_hosts=",
        "the protection is on by default (tests/test_http_gate.py: rebound names are refused)",
    ),
    Equivalent("http.Seen.ms", "* 1001", LOGGED_DURATION),
    Equivalent("http.bind", "socket.socket(family)", "SOCK_STREAM is the default type"),
    Equivalent("http.bind", "socket.SO_REUSEADDR, 2)", "any non-zero value turns the option on"),
    Equivalent("http.bind", "listener.listen(129)", "one more pending connection in the backlog"),
    *(
        Equivalent("http.bind", fragment, "Linux binds IPv6 dual-stack by default; Windows is where V6ONLY matters")
        for fragment in ("family == socket.AF_INET6 or", "ipaddress.ip_address(address) != ipaddress")
    ),
    *(
        Equivalent("http.bind", fragment, WINDOWS_ONLY)
        for fragment in (
            "socket.SO_EXCLUSIVEADDRUSE",
            "setsockopt(socket.SOL_SOCKET, 1)",
            "setsockopt(None, socket.SO_EX",
        )
    ),
]


def main() -> int:
    if "--score" not in sys.argv:
        shutil.rmtree(MUTANTS, ignore_errors=True)  # mutmut would reuse mutants of files it already saw
        with (ROOT / "mutants.log").open("w") as out:
            command = [sys.executable, "-m", "mutmut", "run", "--max-children", "2"]
            subprocess.run(command, cwd=ROOT, stdout=out, stderr=out, check=False)  # noqa: S603 - fixed argv
    rows = score()
    if not rows:
        print("no mutants to score: see mutants.log (is the test extra installed?)", file=sys.stderr)
        return 1
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
    for name, state in states().items():
        if state == "survived":
            print(f"  survived: {name}: {' | '.join(survivor_lines(name))}")
    return 1 if failed else 0


def states() -> dict[str, str]:
    """Every logic mutant of the last run: killed, survived, or equivalent (string-only ones left out)."""
    found: dict[str, str] = {}
    for meta in MUTANTS.rglob("*.py.meta"):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        changes = mutations(meta.with_suffix(""))
        for name, code in codes.items():
            change = changes.get(name)
            if change is None or change.strings_only:
                continue
            if code in (0, NO_TESTS):  # the tests passed, or no test runs that code at all
                # A listed equivalent counts only where it survives: a test that tells it apart proves it is not.
                found[name] = "equivalent" if any(change.matches(known) for known in EQUIVALENT) else "survived"
            elif code is not None:
                found[name] = "killed"  # the tests failed (1), timed out or crashed: the mutant was noticed
    return found


def survivor_lines(name: str) -> tuple[str, ...]:
    module = name.split(".x", 1)[0]
    return mutations(MUTANTS / Path(*module.split(".")).with_suffix(".py"))[name].added


def score() -> dict[str, Counter[str]]:
    rows: dict[str, Counter[str]] = {}
    for name, state in sorted(states().items()):
        module = name.rsplit(".", 1)[0]
        rows.setdefault(module, Counter())[state] += 1
    return rows


@dataclass(frozen=True)
class Mutation:
    function: str  # e.g. hostup.client.HostUpClient._attempt
    added: tuple[str, ...]  # the mutant's lines that the original does not have, as ast.unparse writes them
    strings_only: bool  # it differs from the original only in string constants

    def matches(self, known: Equivalent) -> bool:
        return self.function == known.function and any(known.mutated in line for line in self.added)


@cache  # each survivor's lines are looked up in its module's mutants, which take seconds to parse
def mutations(mutated_source: Path) -> dict[str, Mutation]:
    """Each mutant in one of mutmut's mutated files, by mutant name."""
    tree = ast.parse(mutated_source.read_text())
    functions = {node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
    module = ".".join(mutated_source.relative_to(MUTANTS).with_suffix("").parts)
    found = {}
    for name, node in functions.items():
        match = re.fullmatch(r"(.+)__mutmut_(\d+)", name)
        original = functions.get(f"{match.group(1)}__mutmut_orig") if match else None
        if match is None or original is None:
            continue
        before, after = body_lines(original), body_lines(node)
        added = tuple(line.strip() for line in difflib.ndiff(before, after) if line.startswith("+ "))
        function = re.sub(r"^x_|^xǁ", "", match.group(1)).replace("ǁ", ".")
        label = f"{module.removeprefix('hostup_mcp.')}.{function}"
        found[f"{module}.{name}"] = Mutation(label, tuple(line[2:] for line in added), shape(node) == shape(original))
    return found


def body_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    return "\n".join(ast.unparse(statement) for statement in function.body).splitlines()


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
