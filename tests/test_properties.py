"""Property tests: whatever text arrives as a query, code, section or system name, the command
ends with a documented exit code, prints no traceback, and ``--json`` output is JSON.

Three layers, cheapest first: the Typer application through CliRunner (most examples), the
real entry point in-process (its fast path and argv clean-up are not behind CliRunner), and a
few real subprocesses (the process boundary: argv encoding, stdin bytes, exit status).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from codelookup.__main__ import main
from codelookup.cli import app

from .test_robustness import PROGRESS, cli

# Example counts keep the whole suite under two minutes; before a release, run about ten times as
# many: HYPOTHESIS_PROFILE=deep python -m pytest tests/test_properties.py
_DEEP = os.environ.get("HYPOTHESIS_PROFILE") == "deep"
FAST = settings(
    max_examples=300 if _DEEP else 30, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
BATCH = settings(
    max_examples=150 if _DEEP else 15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
SLOW = settings(
    max_examples=50 if _DEEP else 5, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# Any text at all, weighted towards the troublesome: markup brackets, escapes, code-like shapes.
TRICKY = st.sampled_from(["[", "]", "[/]", "[bold]", "\x1b[31m", "\x1b]0;t\x07", "\\", "*", "?", "%", "'", '"', "-"])
CODEISH = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,9}", fullmatch=True)
TEXT = st.one_of(
    st.text(max_size=60),
    CODEISH,
    st.lists(st.one_of(TRICKY, st.text(max_size=6), CODEISH), max_size=8).map("".join),
)
# argv cannot carry NUL, and lone surrogates only arrive as undecodable bytes (tested separately).
ARGV_TEXT = TEXT.map(lambda s: s.replace("\x00", "")).filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s))

runner = CliRunner()


def check(code: int, out: str, err: str, *, json_out: bool, allowed: tuple[int, ...] = (0, 1, 2)) -> None:
    assert code in allowed, (code, out, err)
    assert "Traceback" not in out + err, err
    # The bug marker is the line's start; the input itself may echo the words ("no code 'internal error'").
    assert not any(line.startswith("codelookup: internal error:") for line in err.splitlines()), err
    for line in err.splitlines():
        assert line.startswith(("codelookup: ", "note: ")) or not line.strip(), err
    if json_out and out.strip():
        json.loads(out)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


# -- CliRunner: the Typer application -----------------------------------------------------
@FAST
@given(query=TEXT)
def test_search_any_query(query: str) -> None:
    check(*invoke("search", "--json", "--", query), json_out=True)


@FAST
@given(query=TEXT, fmt=st.sampled_from(["plain", "table", "csv", "jsonl"]))
def test_search_any_query_any_format(query: str, fmt: str) -> None:
    code, out, err = invoke("search", "--format", fmt, "--", query)
    check(code, out, err, json_out=False)
    if fmt == "jsonl":
        for line in out.splitlines():
            json.loads(line)


@FAST
@given(code=TEXT)
def test_show_any_code(code: str) -> None:
    check(*invoke("show", "--json", "--", code), json_out=True)


@FAST
@given(section=TEXT)
def test_show_any_section_name(section: str) -> None:
    check(*invoke("show", "E11.9", "--json", "--section", section), json_out=True)


@FAST
@given(system=TEXT)
def test_any_system_name(system: str) -> None:
    check(*invoke("search", "fracture", "--json", "--system", system), json_out=True)
    check(*invoke("show", "E11.9", "--json", "--system", system), json_out=True)


@FAST
@given(target=TEXT)
def test_browse_any_target(target: str) -> None:
    check(*invoke("browse", "--json", "--", target), json_out=True)


@BATCH
@given(lines=st.lists(TEXT, max_size=6))
def test_batches_of_any_lines(lines: list[str]) -> None:
    stdin = "\n".join(lines) + "\n"
    for command in ("search", "show"):
        result = runner.invoke(app, [command, "-", "--jsonl"], input=stdin)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        check(result.exit_code, result.stdout, result.stderr, json_out=False)
        for line in result.stdout.splitlines():
            json.loads(line)


# -- the real entry point, in process (fast path, argv clean-up) --------------------------
def run_main(*args: str) -> tuple[int, str, str]:
    out, err = io.BytesIO(), io.BytesIO()
    out_text = io.TextIOWrapper(out, encoding="utf-8")
    err_text = io.TextIOWrapper(err, encoding="utf-8")
    code: Any = 0
    stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(b""), encoding="utf-8")  # a "-" argument reads stdin
    with redirect_stdout(out_text), redirect_stderr(err_text):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code
        finally:
            sys.stdin = stdin
    out_text.flush()
    err_text.flush()
    return int(code or 0), out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")


@FAST
@given(query=ARGV_TEXT, flag=st.sampled_from(["--json", "--jsonl", "--csv"]))
@example(query="-", flag="--json")  # reads (empty) stdin: a batch
@example(query=" - ", flag="--csv")
def test_entry_point_search(query: str, flag: str) -> None:
    code, out, err = run_main("search", query, flag)
    check(code, out, err, json_out=flag == "--json")
    if flag == "--jsonl":
        for line in out.splitlines():
            json.loads(line)


@FAST
@given(codes=st.lists(ARGV_TEXT, min_size=1, max_size=3))
@example(codes=["-"])
def test_entry_point_show(codes: list[str]) -> None:
    check(*run_main("show", "--json", "--", *codes), json_out=True)


# -- real subprocesses --------------------------------------------------------------------
def check_proc(proc: subprocess.CompletedProcess[bytes], *, json_out: bool) -> None:
    err = proc.stderr.decode("utf-8")
    lines = [line for line in err.splitlines() if not line.startswith(PROGRESS)]
    check(proc.returncode, proc.stdout.decode("utf-8"), "\n".join(lines), json_out=json_out)


@SLOW
@given(query=ARGV_TEXT)
def test_subprocess_search(query: str) -> None:
    check_proc(cli("search", query, "--json"), json_out=True)


@SLOW
@given(code=ARGV_TEXT)
def test_subprocess_show(code: str) -> None:
    check_proc(cli("show", "--json", "--", code), json_out=True)


@SLOW
@given(raw=st.binary(max_size=200))
def test_subprocess_any_bytes_on_stdin(raw: bytes) -> None:
    for command in ("search", "show"):
        proc = cli(command, "-", "--jsonl", input=raw)
        check_proc(proc, json_out=False)
        for line in proc.stdout.decode("utf-8").splitlines():
            assert "\x1b" not in json.loads(line)["query"]


@SLOW
@given(raw=st.binary(min_size=1, max_size=40).filter(lambda b: b"\x00" not in b))
def test_subprocess_any_bytes_in_argv(raw: bytes) -> None:
    proc = subprocess.run(
        [*_cmd(), "search", raw, "--json"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=_env(),
        timeout=120,
        check=False,
    )
    check_proc(proc, json_out=True)


def _cmd() -> list[str]:
    from .conftest import codelookup_cmd

    return codelookup_cmd()


def _env() -> dict[str, str]:
    from .test_robustness import _env as robust_env

    env = dict(os.environ)
    env.update(robust_env({"PYTHONIOENCODING": "utf-8:strict"}))
    return env
