"""Hostile input, closed pipes, interrupts and damaged catalogue files, through the real command.

Failures at the process boundary (a traceback on a closed pipe, a crash on undecodable argv bytes
or an ASCII terminal, Ctrl-C, closed descriptors, memory) are tested in a subprocess (``cli``).
Everything else runs the same entry point in this process (``run``) over byte streams decoded
as a real process's are, which is what the suite's time allows. The rule checked throughout:
exit 0, 1, 2, 3 or 130 as documented, and any error is one line on stderr starting with
``codelookup: ``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import codelookup

from .conftest import REPO, codelookup_cmd, run_cli

# The folder holding the codelookup package these tests imported. A checkout's src/ (an
# editable install, or none) is put on a subprocess's PYTHONPATH; an installed wheel is already
# on its path, with the prebuilt index and compiled bytecode a user's process would use.
SRC = str(Path(codelookup.__file__).resolve().parents[1])
INSTALLED = Path(SRC).is_relative_to(Path(sys.prefix).resolve())


def with_package_path(env: dict[str, str]) -> dict[str, str]:
    """``env`` with PYTHONPATH reaching the codelookup these tests import (unchanged if installed)."""
    if not INSTALLED:
        env["PYTHONPATH"] = SRC + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env
CATALOGUE = REPO / "data" / "codes.json"


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Make a subprocess import the same codelookup package as these tests."""
    env = with_package_path({"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {})
    env.update(extra or {})
    return env


def cli(
    *args: str | bytes, input: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    # Never inherit stdin: a "-" argument would wait on the terminal of whoever runs pytest.
    return run_cli(*args, input=b"" if input is None else input, env=_env(env))  # type: ignore[arg-type]


def run(
    *args: str, input: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``cli`` in this process: ``__main__.main`` with UTF-8 byte streams, the environment patched."""
    import io

    from codelookup.__main__ import main

    saved_env = {k: os.environ.get(k) for k in env or {}}
    saved = sys.stdin, sys.stdout, sys.stderr
    out, err = io.BytesIO(), io.BytesIO()
    streams = (
        io.TextIOWrapper(io.BytesIO(input or b""), encoding="utf-8"),
        io.TextIOWrapper(out, encoding="utf-8", write_through=True),
        io.TextIOWrapper(err, encoding="utf-8", write_through=True),
    )
    sys.stdin, sys.stdout, sys.stderr = streams
    os.environ.update(env or {})
    try:
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        for stream in streams:
            stream.flush()
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
        for stream in streams:
            stream.detach()  # keep the byte buffers open for reading
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


# The one-time index build announces itself; that is progress, not an error line.
PROGRESS = (
    "codelookup: building the search index",
    "codelookup: updating the search index after the import",
    "codelookup: search index ready",
)


def check_stderr(stderr: bytes, *, error: bool) -> str:
    """No traceback, every line ours; an error is exactly one ``codelookup: `` line."""
    text = stderr.decode("utf-8")
    assert "Traceback" not in text, text
    assert "\x1b" not in text, repr(text)
    lines = [line for line in text.splitlines() if line]
    assert all(line.startswith(("codelookup: ", "note: ")) for line in lines), text
    ours = [line for line in lines if line.startswith("codelookup: ") and not line.startswith(PROGRESS)]
    if error:
        assert len(ours) == 1, text
        assert "codelookup: internal error:" not in ours[0], text
    return text


def ok_or_nothing(proc: subprocess.CompletedProcess[bytes]) -> None:
    assert proc.returncode in (0, 1), proc.stderr
    check_stderr(proc.stderr, error=proc.returncode == 1)
    proc.stdout.decode("utf-8")  # always valid UTF-8


# -- queries ------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["", "   ", "\t"])
@pytest.mark.parametrize("fmt", ["plain", "table", "json"])
def test_empty_or_blank_query_is_a_usage_error(query: str, fmt: str) -> None:
    proc = run("search", query, "--format", fmt)
    assert proc.returncode == 2
    assert "empty query" in check_stderr(proc.stderr, error=True)
    assert b"Traceback" not in proc.stdout


def test_many_words_are_shortened_not_fatal() -> None:
    words = " ".join(["fracture", "of", "left", "femur", "closed", "diabetes"] * 20)  # 120 words, 780 characters
    proc = run("search", words, "--json")
    assert proc.returncode in (0, 1)
    assert json.loads(proc.stdout)["schema_version"] == 1
    assert "shortened" in check_stderr(proc.stderr, error=proc.returncode == 1)


def test_thousands_of_words_are_refused() -> None:
    words = " ".join(["fracture", "of", "left", "femur", "closed", "diabetes"] * 600)
    proc = run("search", words, "--json")
    assert proc.returncode == 2
    assert "too long" in check_stderr(proc.stderr, error=True)
    assert proc.stdout == b""


@pytest.mark.parametrize("word", ["x" * 100_000, "E" * 100_000, "a1" * 50_000, "é" * 30_000])
def test_one_enormous_word(word: str) -> None:
    # Mixed letters and digits defeat the deletion-set dedup of typo correction: 100,000 of them
    # took minutes and gigabytes before commands.check_length refused input over 1,000 characters.
    proc = run("search", "--", word)
    assert proc.returncode == 2
    assert "too long" in check_stderr(proc.stderr, error=True)
    for args in (
        ("show", "--", word),
        ("browse", "--", word),
        ("sections", "--", word),
        ("show", "--json", "--", word),
    ):
        proc = run(*args)
        assert proc.returncode == 2, args  # a usage error in every command (ExitCode.USAGE)
        assert "too long" in check_stderr(proc.stderr, error=True)


def test_an_enormous_line_does_not_end_a_batch() -> None:
    lines = b"E11.9\n" + b"a1" * 50_000 + b"\nI10\n"
    for command in ("search", "show"):
        proc = run(command, "-", "--jsonl", input=lines)
        assert proc.returncode == 1
        docs = [json.loads(line) for line in proc.stdout.decode().splitlines()]
        assert [d["query"][:5] for d in docs] == ["E11.9", "a1a1a", "I10"]
        assert "too long" in docs[1]["error"]


ESCAPES = [
    "\x1b[31mfracture",
    "\x1b]0;title\x07fracture",
    "frac\x1b[2Jture",
    "\x1b[31mE11.9\x1b[0m",
    "\x9b31mfracture",  # C1 control: CSI in one character
    "\x1b[31mzzqqxxvv",  # nothing found: the error message must not echo it raw either
]


@pytest.mark.parametrize("query", ESCAPES)
@pytest.mark.parametrize("fmt", ["plain", "table", "json", "jsonl", "csv"])
def test_escape_sequences_never_reach_the_terminal(query: str, fmt: str) -> None:
    proc = run("search", query, "--format", fmt)
    ok_or_nothing(proc)
    for stream in (proc.stdout.decode(), proc.stderr.decode()):
        assert "\x1b" not in stream and "\x9b" not in stream and "\x07" not in stream


@pytest.mark.parametrize("fmt", ["plain", "table", "json", "jsonl", "csv"])
def test_escape_sequences_in_a_batch_are_not_echoed(fmt: str) -> None:
    lines = "\n".join(ESCAPES).encode() + b"\n"
    proc = run("search", "-", "--limit", "1", "--format", fmt, input=lines)
    assert proc.returncode in (0, 1)
    check_stderr(proc.stderr, error=proc.returncode == 1)
    out = proc.stdout.decode()
    assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out
    assert "E11.9" in out


@pytest.mark.parametrize("fmt", ["plain", "table", "jsonl"])
def test_escape_sequences_in_show_codes_are_not_echoed(fmt: str) -> None:
    proc = run("show", "\x1b[31mE11.9", "\x1b]0;x\x07ZZ99", "--format", fmt)
    assert proc.returncode == 1  # one of the two is unknown
    check_stderr(proc.stderr, error=True)
    assert b"\x1b" not in proc.stdout and b"\x07" not in proc.stdout
    batch = run("show", "-", "--format", fmt, input=b"\x1b[31mE11.9\n\x1b]0;x\x07ZZ99\n")
    assert batch.returncode == 1
    assert b"\x1b" not in batch.stdout + batch.stderr and b"\x07" not in batch.stdout + batch.stderr


@pytest.mark.parametrize("query", ["[bold]fracture[/]", "[/]", "[red]fracture", "fracture [link=http://x]y[/link]"])
@pytest.mark.parametrize("fmt", ["table", "plain"])
def test_rich_markup_in_a_query_is_text(query: str, fmt: str) -> None:
    proc = run("search", query, "--format", fmt)
    ok_or_nothing(proc)
    assert "MarkupError" not in proc.stderr.decode()


def test_rich_markup_is_shown_literally_in_the_table_title() -> None:
    proc = run("search", "[bold]fracture[/]", "--format", "table")
    assert proc.returncode == 0
    assert "[bold]fracture[/]" in proc.stdout.decode()


@pytest.mark.parametrize("code", ["[/]", "[bold]E11.9", "E11.9[/]"])
def test_rich_markup_in_a_code_is_text(code: str) -> None:
    proc = run("show", code, "--format", "table")
    ok_or_nothing(proc)


@pytest.mark.parametrize(
    "query",
    [
        "🦴 fracture",
        "🦴",
        "كسر في الساق",
        "fracture\u200f",
        "frac\u0301ture",
        "Ménière",
        "ﬁbrillation",
        "\u202efracture",
    ],
)
def test_any_unicode_query(query: str) -> None:
    proc = run("search", query, "--json")
    assert proc.returncode in (0, 1)
    check_stderr(proc.stderr, error=proc.returncode == 1)
    assert json.loads(proc.stdout)["schema_version"] == 1
    ok_or_nothing(run("search", query, "--format", "table"))
    ok_or_nothing(run("show", query))


def test_unicode_lookalikes_of_a_code_still_find_it_or_say_so() -> None:
    # Full-width digits and a Cyrillic 'Е': either found or "no code", never a crash.
    for code in ["Ｅ１１.９", "Е11.9"]:
        ok_or_nothing(run("show", code))


INVALID_UTF8 = b"E11.9\n\xff\xfe\xc3(\nfrac\xffture\n\xed\xa0\x80\nE11.9\n"


@pytest.mark.parametrize("command", ["search", "show"])
@pytest.mark.parametrize("fmt", ["jsonl", "plain", "json"])
def test_invalid_utf8_on_stdin(command: str, fmt: str) -> None:
    proc = run(command, "-", "--format", fmt, input=INVALID_UTF8)
    assert proc.returncode in (0, 1), proc.stderr
    text = proc.stdout.decode("utf-8")  # output is valid UTF-8 whatever came in
    assert "Traceback" not in proc.stderr.decode("utf-8")
    if fmt == "jsonl":
        docs = [json.loads(line) for line in text.splitlines()]
        assert docs[0]["query"] == "E11.9" and docs[-1]["query"] == "E11.9"
    if fmt == "json":
        json.loads(text)


@pytest.mark.parametrize("encoding", ["utf-8:strict", "utf-8:surrogateescape"])
@pytest.mark.parametrize("fmt", ["json", "plain", "table"])
def test_invalid_utf8_in_argv(encoding: str, fmt: str) -> None:
    # A UTF-8 locale makes Python's stdout strict: the undecodable argv bytes (surrogates
    # inside Python) must not crash the writer or leak invalid UTF-8 into the output.
    for args in (("search", b"frac\xffture"), ("search", b"zz\xffqq"), ("show", b"E11\xff9"), ("show", b"\xff")):
        proc = cli(*args, "--format", fmt, env={"PYTHONIOENCODING": encoding})
        assert proc.returncode in (0, 1, 2), proc.stderr
        check_stderr(proc.stderr, error=proc.returncode != 0)
        if fmt == "json" and args[0] == "search":
            json.loads(proc.stdout.decode("utf-8"))


def test_non_utf8_terminal_encoding_does_not_crash() -> None:
    # Titles are UTF-8 (Ménière); an ASCII-only stdout gets replacement characters, not a crash.
    proc = cli("search", "meniere", "--limit", "2", env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0, proc.stderr
    assert b"H81" in proc.stdout


@pytest.mark.parametrize("command", ["search", "show"])
def test_nul_bytes_on_stdin(command: str) -> None:
    proc = run(command, "-", "--jsonl", input=b"E1\x001.9\n\x00\x00\x00\n\x00\nE11.9\x00\n")
    assert proc.returncode in (0, 1), proc.stderr
    assert b"\x00" not in proc.stdout
    docs = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert docs and all("\x00" not in d["query"] for d in docs)
    assert any((d.get("code") or (d.get("results") or [{}])[0].get("code")) == "E11.9" for d in docs)


def test_a_line_of_only_control_characters_does_not_end_a_show_batch() -> None:
    proc = run("show", "-", "--jsonl", input=b"E11.9\n\x00\x1b\x07\nI10\n")
    assert proc.returncode == 0, proc.stderr
    codes = [json.loads(line)["code"] for line in proc.stdout.decode().splitlines()]
    assert codes == ["E11.9", "I10"]


# -- options ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ("show", "E11.9", "--section", "nonsense"),
        ("show", "E11.9", "--section", ""),
        ("show", "E11.9", "--section", "[/]"),
        ("show", "-", "--section", "nonsense"),
        ("search", "fracture", "--section", "summary"),
    ],
)
def test_unknown_section(args: Sequence[str]) -> None:
    proc = run(*args, input=b"E11.9\n")
    assert proc.returncode == 2
    check_stderr(proc.stderr, error=True)
    assert proc.stdout == b""


@pytest.mark.parametrize(
    "limit", ["-1", "0", "10001", "99999999999999999999", "-99999999999999999999", "abc", "", "1e3"]
)
@pytest.mark.parametrize("batch", [False, True])
def test_bad_limit(limit: str, batch: bool) -> None:
    args = ("search", "-") if batch else ("search", "fracture")
    proc = run(*args, "--limit", limit, "--jsonl", input=b"E11.9\n")
    assert proc.returncode == 2
    check_stderr(proc.stderr, error=True)
    assert proc.stdout == b""


def test_limit_at_the_edges_works() -> None:
    assert run("search", "fracture", "--limit", "1").stdout.count(b"\n") == 1
    big = run("search", "fracture", "--limit", "10000", "--json")
    assert big.returncode == 0 and json.loads(big.stdout)["count"] > 100


@pytest.mark.parametrize(
    "args",
    [
        ("search", "fracture", "--system", "nonsense"),
        ("search", "fracture", "-s", ""),
        ("search", "-", "--system", "nonsense"),
        ("show", "E11.9", "--system", "nonsense"),
        ("show", "-", "--system", "nonsense"),
        ("browse", "nonsense-system-or-code"),
    ],
)
def test_unknown_system(args: Sequence[str]) -> None:
    proc = run(*args, input=b"E11.9\n")
    assert proc.returncode in (1, 2)  # browse cannot tell a bad system from an unknown code
    text = check_stderr(proc.stderr, error=True)
    if args[0] != "browse":
        assert proc.returncode == 2 and "ICD-10-CM" in text


@pytest.mark.parametrize(
    "args",
    [
        ("search", "fracture", "--json", "--csv"),
        ("search", "fracture", "--json", "--format", "csv"),
        ("search", "fracture", "--jsonl", "--format", "json"),
        ("search", "fracture", "--csv", "--format", "table"),
        ("search", "-", "--json", "--jsonl"),
        ("show", "E11.9", "--json", "--jsonl"),
        ("show", "E11.9", "--json", "--format", "plain"),
        ("browse", "E11", "--json", "--csv"),
    ],
)
def test_conflicting_output_formats(args: Sequence[str]) -> None:
    proc = run(*args, input=b"E11.9\n")
    assert proc.returncode == 2
    assert "conflicting output formats" in check_stderr(proc.stderr, error=True)
    assert proc.stdout == b""


@pytest.mark.parametrize(
    "args", [("search", "x", "--format", "yaml"), ("show", "E11.9", "--csv"), ("search", "--bogus")]
)
def test_other_option_errors(args: Sequence[str]) -> None:
    proc = run(*args)
    assert proc.returncode == 2
    check_stderr(proc.stderr, error=True)


# -- codes --------------------------------------------------------------------------------
@pytest.mark.parametrize("code", ["!!!", "E", "99999999999", "0SRC0J9X", "E11.9.9", "..", "#", "-E11"])
def test_malformed_codes(code: str) -> None:
    proc = run("show", "--", code)
    assert proc.returncode in (1, 2)
    check_stderr(proc.stderr, error=True)


@pytest.mark.parametrize("code", ["Z99.999", "ZZZ999", "E11.99", "99999"])
def test_unknown_codes_suggest_something(code: str) -> None:
    proc = run("show", code)
    assert proc.returncode == 1
    text = check_stderr(proc.stderr, error=True)
    if code.isdigit():  # CPT-shaped: the honest answer names the licence, not just "no code"
        assert text.startswith(f"codelookup: {code} is a CPT code without a page here")
    else:
        assert text.startswith(f"codelookup: no code '{code}'")
    js = run("show", code, "--json")
    assert js.returncode == 1
    doc = json.loads(js.stdout)
    assert doc["count"] == 0 and doc["not_found"][0]["query"] == code


def test_code_from_the_wrong_system() -> None:
    proc = run("show", "E11.9", "--system", "pcs")
    assert proc.returncode == 1
    text = check_stderr(proc.stderr, error=True)
    assert "ICD-10-PCS" in text and "ICD-10-CM" in text  # where it was not, and where it is
    js = run("show", "E11.9", "--system", "pcs", "--json")
    assert js.returncode == 1
    assert "E11.9" in json.loads(js.stdout)["not_found"][0]["suggestions"]


def test_some_codes_unknown_in_a_list() -> None:
    proc = run("show", "E11.9", "NOPE1", "--jsonl")
    assert proc.returncode == 1
    docs = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert docs[0]["code"] == "E11.9" and docs[1]["query"] == "NOPE1" and "error" in docs[1]


# -- pipes and signals --------------------------------------------------------------------
def _shell(pipeline: str, stdin_file: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    cmd = " ".join(f"'{part}'" for part in codelookup_cmd())
    env = dict(os.environ)
    env.update(_env())
    script = "set -o pipefail; " + pipeline.replace("CODELOOKUP", cmd)
    return subprocess.run(
        ["bash", "-c", script],
        input=stdin_file.read_bytes() if stdin_file else b"",
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def many_codes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pipes") / "codes.txt"
    path.write_text("E11.9\nI10\n0SRC0J9\n62264\n" * 1500)
    assert cli("search", "E11.9").returncode == 0  # build the index now: its progress lines go to stderr
    return path


@pytest.mark.parametrize(
    "pipeline",
    [
        "CODELOOKUP search fracture --limit 500 | head -1",
        "CODELOOKUP search fracture --limit 500 --jsonl | head -1",
        "CODELOOKUP search fracture --limit 500 --csv | head -1",
        "CODELOOKUP search fracture --limit 2000 --json | head -1",
        "CODELOOKUP search fracture --limit 500 --format table | head -1",
        "CODELOOKUP browse ICD-10-CM --all | head -1",
        "CODELOOKUP browse S72 --all --format table | head -1",
        "CODELOOKUP show - --jsonl | head -1",
        "CODELOOKUP show - | head -1",
        "CODELOOKUP show - --format table | head -1",
        "CODELOOKUP search - --limit 5 | head -1",
    ],
)
def test_closed_pipe_is_quiet(pipeline: str, many_codes: Path) -> None:
    proc = _shell(pipeline, many_codes)
    assert proc.stderr == b"", proc.stderr
    assert proc.returncode == 0
    assert proc.stdout.count(b"\n") == 1


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full to simulate a full disk")
@pytest.mark.parametrize(
    "command", ["search fracture", "search fracture --format table", "show E11.9", "show - --jsonl", "browse E11"]
)
def test_full_disk_is_one_line_exit_74(command: str) -> None:
    proc = _shell(f"echo E11.9 | CODELOOKUP {command} > /dev/full")
    assert proc.returncode == 74, proc.stderr
    text = check_stderr(proc.stderr, error=True)
    assert "No space left on device" in text


@pytest.mark.parametrize(
    ("pipeline", "status"),
    [
        ("CODELOOKUP search - --jsonl <&-", 0),  # a closed stdin is an empty batch
        ("CODELOOKUP show - <&-", 0),
        ("CODELOOKUP search fracture >&-", 0),  # a closed stdout: output discarded, status kept
        ("CODELOOKUP search zzqqxxvv >&-", 1),
        ("CODELOOKUP search fracture --format table >&-", 0),
        ("CODELOOKUP search zzqqxxvv 2>&-", 1),  # a closed stderr: the message is lost, not the status
    ],
)
def test_closed_standard_streams(pipeline: str, status: int) -> None:
    proc = _shell(pipeline)
    assert proc.returncode == status, proc.stderr
    assert b"Traceback" not in proc.stderr and b"codelookup: internal error:" not in proc.stderr


def _start_batch(*extra: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(_env())
    return subprocess.Popen(
        [*codelookup_cmd(), *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


@pytest.mark.parametrize("fmt", ["jsonl", "plain", "table"])
def test_ctrl_c_exits_130_without_a_traceback(fmt: str) -> None:
    proc = _start_batch("search", "-", "--limit", "1", "--format", fmt)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"E11.9\n")
    proc.stdin.flush()
    assert b"E11.9" in proc.stdout.readline()  # running and reading a pipe that stays open
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert b"Traceback" not in err and b"KeyboardInterrupt" not in err
    lines = [line for line in err.decode().splitlines() if not line.startswith(PROGRESS)]
    assert lines in ([], ["codelookup: interrupted"])


def test_batch_output_streams_line_by_line() -> None:
    # One query in, one answer out, while the input is still open: nothing waits for EOF.
    proc = _start_batch("search", "-", "--jsonl", "--limit", "1")
    assert proc.stdin is not None and proc.stdout is not None
    for code in ("E11.9", "I10", "62264"):
        proc.stdin.write(code.encode() + b"\n")
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["results"][0]["code"] == code
    proc.stdin.close()
    proc.wait(timeout=60)
    assert proc.returncode == 0


BIG_BATCH = 40_000  # 240 kB of input: far more than a pipe buffer (64 kB) holds


def _peak_rss_mb(pid: int) -> float:
    """The child's own peak resident memory (VmHWM), 0 if it has already gone.

    Not ``getrusage``/``wait4``: Linux carries the parent's high-water mark across the
    vfork-and-exec that subprocess uses, so a child of a large pytest process would report
    pytest's memory, not its own.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc to read the child's memory")
def test_big_batch_streams_with_bounded_memory() -> None:
    """40,000 queries through ``search - --jsonl --limit 1``, fed by a generator process."""
    warm = cli("search", "E11.9")  # the index exists, so the build's memory is not measured
    assert warm.returncode == 0
    gen = subprocess.Popen(
        [sys.executable, "-c", f"import sys\nfor _ in range({BIG_BATCH}): sys.stdout.write('E11.9\\n')"],
        stdout=subprocess.PIPE,
    )
    env = dict(os.environ)
    env.update(_env())
    child = subprocess.Popen(
        [*codelookup_cmd(), "search", "-", "--jsonl", "--limit", "1"],
        stdin=gen.stdout,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert gen.stdout is not None and child.stdout is not None
    gen.stdout.close()
    first = child.stdout.readline()
    # The input (240 kB) cannot fit in a pipe buffer: if the generator is still writing when
    # the first answer arrives, the command answered before reading all of its input.
    streaming = gen.poll() is None
    assert json.loads(first)["results"][0]["code"] == "E11.9"
    count, peak = 1, 0.0
    for _ in child.stdout:
        count += 1
        if count % 5000 == 0:  # sampled while it runs: growth with the batch would show here
            peak = max(peak, _peak_rss_mb(child.pid))
    _, err = child.communicate(timeout=60)
    gen.wait(timeout=60)
    assert child.returncode == 0, err
    assert count == BIG_BATCH
    assert streaming
    assert 0 < peak < 300, peak


# -- damaged catalogue files --------------------------------------------------------------
def _header() -> dict[str, Any]:
    with CATALOGUE.open(encoding="utf-8") as fh:
        first = fh.readline().rstrip("\n")
    header: dict[str, Any] = json.loads(first[:-1] + "}")
    return header


SMALL_RECORDS: list[dict[str, Any]] = [
    {
        "billable": False,
        "code": "E11",
        "kind": "category",
        "parent": None,
        "system": "ICD-10-CM",
        "title": "Type 2 diabetes mellitus",
    },
    {
        "billable": True,
        "code": "E11.9",
        "kind": "code",
        "parent": "E11",
        "system": "ICD-10-CM",
        "title": "Type 2 diabetes mellitus without complications",
    },
    {
        "billable": True,
        "code": "I10",
        "kind": "code",
        "parent": None,
        "system": "ICD-10-CM",
        "title": "Essential (primary) hypertension",
    },
    {
        "billable": True,
        "code": "S52.501A",
        "kind": "code",
        "parent": None,
        "system": "ICD-10-CM",
        "title": "Unspecified fracture of the lower end of right radius, initial encounter",
    },
]


def write_catalogue(path: Path, header: dict[str, Any] | None = None, records: list[Any] | None = None) -> Path:
    """A small catalogue in the one-record-per-line layout of data/codes.json."""
    head = json.dumps(header if header is not None else _header(), separators=(",", ":"))
    body = ",\n".join(json.dumps(r) for r in (records if records is not None else SMALL_RECORDS))
    path.write_text(head[:-1] + ',\n"pcs_tables":{},\n"records":[\n' + body + "\n]}\n", encoding="utf-8")
    return path


@pytest.fixture
def small(tmp_path: Path) -> Path:
    if not CATALOGUE.is_file():
        pytest.skip(f"{CATALOGUE} not built: the small catalogues copy its header")
    return write_catalogue(tmp_path / "small.json")


def with_catalogue(path: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    # Own cache directory: building an index for another catalogue would delete the session's.
    return run(*args, env={"CODELOOKUP_CATALOGUE": str(path), "CODELOOKUP_CACHE_DIR": str(tmp_path / "cache")})


def test_small_catalogue_works(small: Path, tmp_path: Path) -> None:
    proc = with_catalogue(small, tmp_path, "search", "diabetes", "--jsonl")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"][0]["code"] == "E11.9"


def _broken(small: Path, how: str) -> Path:
    data = small.read_bytes()
    records_at = data.index(b'"records":[')
    out = small.with_name(f"{how}.json")
    if how == "missing":
        return out
    if how == "directory":
        out.mkdir()
        return out
    if how == "empty":
        out.write_bytes(b"")
    elif how == "truncated-middle":
        out.write_bytes(data[: (records_at + len(data)) // 2])
    elif how == "truncated-header":
        out.write_bytes(data[: records_at // 2])
    elif how == "truncated-before-records":
        out.write_bytes(data[: records_at - 3])
    elif how == "truncated-at-line-end":
        out.write_bytes(data[: data.rindex(b"\n]}")])
    elif how == "invalid-json":
        out.write_bytes(b'{"format": "codelookup-catalogue", nope\n')
    elif how == "invalid-record":
        out.write_bytes(data.replace(b'{"billable": true, "code": "I10"', b'{"billable": tru, "code": "I10"'))
    elif how == "not-utf8-record":
        out.write_bytes(data.replace(b"Essential", b"Ess\xffential"))
    elif how == "binary":
        out.write_bytes(b"\x00\xff\xfe\x89PNG garbage\n" * 10)
    elif how == "not-an-object":
        out.write_text("[1, 2, 3]\n")
    elif how == "other-format":
        out.write_text(json.dumps({**_header(), "format": "something-else"}) + "\n")
    elif how == "no-records":
        out.write_text(json.dumps(_header()) + "\n")
    elif how == "record-not-an-object":
        write_catalogue(out, records=[*SMALL_RECORDS, [1, 2]])
    elif how == "record-wrong-types":
        bad = {"billable": True, "code": 5, "system": "ICD-10-CM", "title": 7, "sections": "zz", "parent": ["a"]}
        write_catalogue(out, records=[*SMALL_RECORDS, bad])
    elif how == "record-sections-not-object":
        bad = {"billable": True, "code": "E11.8", "system": "ICD-10-CM", "title": "x", "sections": ["zz"]}
        write_catalogue(out, records=[*SMALL_RECORDS, bad])
    elif how == "pcs-tables-not-object":
        out.write_bytes(data.replace(b'"pcs_tables":{},', b'"pcs_tables":[1],'))
    elif how == "systems-not-objects":
        write_catalogue(out, header={**_header(), "systems": {"ICD-10-CM": "yes"}})
    elif how == "no-records-at-all":
        write_catalogue(out, records=[])
    else:  # pragma: no cover
        raise AssertionError(how)
    return out


BROKEN = [
    "missing",
    "directory",
    "empty",
    "truncated-middle",
    "truncated-header",
    "truncated-before-records",
    "truncated-at-line-end",
    "invalid-json",
    "invalid-record",
    "binary",
    "not-utf8-record",
    "not-an-object",
    "other-format",
    "no-records",
    "record-not-an-object",
    "record-wrong-types",
    "record-sections-not-object",
    "pcs-tables-not-object",
    "systems-not-objects",
    "no-records-at-all",
]


@pytest.mark.parametrize("how", BROKEN)
@pytest.mark.parametrize("args", [("search", "diabetes"), ("show", "E11.9", "--format", "table")])
def test_broken_catalogue_is_one_line_exit_3(small: Path, tmp_path: Path, how: str, args: tuple[str, ...]) -> None:
    path = _broken(small, how)
    proc = with_catalogue(path, tmp_path, *args)
    assert proc.returncode == 3, proc.stderr
    text = check_stderr(proc.stderr, error=True)
    line = text.splitlines()[-1]
    if how != "no-records-at-all":
        assert str(path) in line
    assert proc.stdout == b""
    cache = tmp_path / "cache"
    leftovers = [p.name for p in cache.iterdir() if p.name != ".build.lock"] if cache.is_dir() else []
    assert not leftovers, leftovers  # no half-built index, no temp file


def test_wrong_schema_version_says_which_it_expects(small: Path, tmp_path: Path) -> None:
    path = write_catalogue(tmp_path / "v99.json", header={**_header(), "schema_version": 99})
    proc = with_catalogue(path, tmp_path, "search", "diabetes")
    assert proc.returncode == 3
    text = check_stderr(proc.stderr, error=True)
    assert str(path) in text and "99" in text and "version 1" in text


def test_version_reports_a_broken_catalogue_without_failing(tmp_path: Path) -> None:
    proc = cli("--version", env={"CODELOOKUP_CATALOGUE": str(tmp_path / "nope.json")})
    assert proc.returncode == 0
    assert b"catalogue unavailable" in proc.stdout


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode, so chmod 000 proves nothing")
def test_unreadable_catalogue(small: Path, tmp_path: Path) -> None:
    small.chmod(0)
    try:
        proc = with_catalogue(small, tmp_path, "search", "diabetes")
    finally:
        small.chmod(0o644)
    assert proc.returncode == 3
    text = check_stderr(proc.stderr, error=True)
    assert str(small) in text and "ermission" in text


# -- damaged imported layers --------------------------------------------------------------
@pytest.mark.parametrize("content", [b"garbage", b"", b'{"format":"x"}\n', b"[1]\n", b"\xff\xfe\x00"])
def test_broken_imported_layer_is_one_line_exit_3(small: Path, tmp_path: Path, content: bytes) -> None:
    data = tmp_path / "data"
    (data / "imports").mkdir(parents=True)
    layer = data / "imports" / "hcpcs.json"
    layer.write_bytes(content)
    env = {"CODELOOKUP_CATALOGUE": str(small), "CODELOOKUP_CACHE_DIR": str(tmp_path / "cache")}
    proc = run("search", "diabetes", env={**env, "CODELOOKUP_DATA_DIR": str(data)})
    assert proc.returncode == 3, proc.stderr
    assert str(layer) in check_stderr(proc.stderr, error=True)
    listing = run("import", "--list", env={**env, "CODELOOKUP_DATA_DIR": str(data)})
    assert listing.returncode == 0 and str(layer).encode() in listing.stdout
    assert run("import", "--remove", "hcpcs", env={**env, "CODELOOKUP_DATA_DIR": str(data)}).returncode == 0
    assert run("search", "diabetes", env={**env, "CODELOOKUP_DATA_DIR": str(data)}).returncode == 0


def test_broken_layer_hint_is_a_working_command(small: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "imports").mkdir(parents=True)
    (data / "imports" / "hcpcs.json").write_bytes(b"garbage")
    env = {"CODELOOKUP_CATALOGUE": str(small), "CODELOOKUP_CACHE_DIR": str(tmp_path / "cache")}
    env["CODELOOKUP_DATA_DIR"] = str(data)
    text = run("search", "diabetes", env=env).stderr.decode()
    hint = text.split("`")[1]  # the command the message tells the user to run
    assert hint.startswith("codelookup ")
    assert run(*hint.split()[1:], env=env).returncode == 0
