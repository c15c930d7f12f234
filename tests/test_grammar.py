"""One grammar for two parsers: Typer's declaration and the fast path agree on every command line.

The walk test proves that every Typer parameter is the grammar's (same spellings, kind, default)
and that the fast path knows every one; the parity tests run command lines through both paths
in-process and compare stdout, stderr and the exit code. The hypothesis test writes every
spelling click accepts (``-s cm``, ``-s=cm``, ``-scm``, ``--system cm``, ``--system=cm``,
repeats, ``--``), including ``-s=cm``, which the old hand-written fast path read as ``cm``.
"""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.main import get_command

from codelookup import fastpath, grammar
from codelookup.cli import app, run

CLICK = get_command(app)


# -- the walk --------------------------------------------------------------------------------
def test_every_command_of_the_app_is_in_the_grammar() -> None:
    commands = set(CLICK.commands)  # type: ignore[attr-defined]
    assert commands - grammar.TYPER_ONLY == set(grammar.COMMANDS)
    assert commands >= grammar.TYPER_ONLY  # no stale names


@pytest.mark.parametrize("command", sorted(grammar.COMMANDS))
def test_every_parameter_agrees_with_the_grammar(command: str) -> None:
    arg, names = grammar.COMMANDS[command]
    params = CLICK.commands[command].params  # type: ignore[attr-defined]
    options = [p for p in params if p.param_type_name == "option"]
    arguments = [p for p in params if p.param_type_name == "argument"]
    assert [p.name.rstrip("_") for p in options] == list(names)
    defaults = grammar.defaults(command)
    for param in options:
        spec = grammar.option(param.name.rstrip("_"))
        assert tuple(param.opts) == spec.flags and param.secondary_opts == []
        assert param.help == spec.help
        assert param.multiple is (spec.kind == grammar.MULTI)
        assert param.is_flag is (spec.kind == grammar.FLAG)
        default = param.default.value if hasattr(param.default, "value") else param.default
        assert (default if default is not None else []) == defaults[spec.dest] or (
            default is None and defaults[spec.dest] is None
        )
    if arg is None:
        assert arguments == []
    else:
        (param,) = arguments
        assert param.name == arg.dest and param.required is arg.required
        assert param.nargs == (-1 if arg.many else 1)


def test_typer_parameter_names_are_the_grammar_dests() -> None:
    # cli._dispatch maps names by dropping a trailing underscore (json_ -> json)
    for command in grammar.COMMANDS:
        names = {p.name.rstrip("_") for p in CLICK.commands[command].params}  # type: ignore[attr-defined]
        assert names == set(grammar.defaults(command))


# -- parity, in-process ----------------------------------------------------------------------
def _capture(fn: Any, argv: list[str]) -> tuple[Any, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr, sys.stdin
    sys.stdout, sys.stderr, sys.stdin = out, err, io.StringIO("")
    try:
        code = fn(list(argv))
    finally:
        sys.stdout, sys.stderr, sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


def both(argv: list[str]) -> tuple[tuple[Any, str, str], tuple[Any, str, str]]:
    """(what the entry point does: fast path, else Typer) and (Typer alone)."""

    def entry(args: list[str]) -> int:
        code = fastpath.try_run(args)
        return run(args) if code is None else int(code)

    return _capture(entry, argv), _capture(lambda a: int(run(a)), argv)


CASES = [
    ["search", "diabetis", "foot", "ulcer"],
    ["search", "heart attack", "--json"],
    ["search", "E11.6*", "--csv", "--limit", "5"],
    ["search", "fracture", "-n", "3", "--system", "cm", "--billable"],
    ["search", "--limit=2", "asthma", "--format", "jsonl"],
    ["search", "qqqxzvw", "--json"],
    ["search", "x", "--limit", "0"],
    ["search", "x", "--system", "ICD-9"],
    ["search", "asthma", "-s=cm"],  # the value is "=cm", as click reads it
    ["search", "asthma", "-scm", "-n2"],
    ["search", "x", "--json", "--csv"],
    ["search", "asthma", "--json", "--format", "json"],
    ["search", "--", "-x"],
    ["show", "E11.621", "--json"],
    ["show", "62264", "--section", "risks", "-S", "pat"],
    ["show", "0SRC0J9", "NOPE99", "--jsonl"],
    ["show", "E11.9", "--section", "nonsense"],
    ["show", "B20", "--system", "pcs", "--format", "plain"],
    ["search", "asthma", "--format", "table", "-n", "3"],
    ["browse", "E11"],
    ["browse", "cm", "--json"],
    ["sections", "62264"],
    ["systems", "--format", "csv"],
    ["--no-color", "search", "asthma", "-n", "2"],
    ["show", "E11.9", "--no-color", "--json"],
]


@pytest.mark.parametrize("argv", CASES, ids=[" ".join(c) for c in CASES])
def test_fast_path_matches_typer(argv: list[str], lib: Any) -> None:
    own = [a for a in grammar.hoist_global_options(argv) if a not in grammar.GLOBAL_FLAGS]
    assert grammar.parse(own) is not None, "the fast path should handle this call"
    fast, slow = both(argv)
    assert fast == slow


def test_dash_s_equals_is_the_value_with_the_equals_sign() -> None:
    assert grammar.parse(["search", "asthma", "-s=cm"]) == (
        "search",
        {**grammar.defaults("search"), "query": ["asthma"], "system": ["=cm"]},
    )
    code, _, err = both(["search", "asthma", "-s=cm"])[0]
    assert code == 2 and "unknown system '=cm'" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["search", "--help"],
        ["search", "-h"],
        ["search", "x", "--bogus"],
        ["search", "x", "--limit", "abc"],
        ["search", "x", "--limit", "+5"],  # Typer accepts it; only Typer judges such values
        ["search", "asthma", "-n=2"],  # the value "=2" is not a number: Typer says so
        ["search", "x", "--json=1"],
        ["search", "x", "--format", "JSON"],
        ["show", "--section"],
        ["show"],
        ["browse", "a", "b"],
        ["systems", "extra"],
        ["import", "--list"],
        ["--version"],
        [],
    ],
)
def test_fast_path_defers_what_it_does_not_own(argv: list[str]) -> None:
    assert grammar.parse(argv) is None


# -- generated command lines -----------------------------------------------------------------
QUERIES = ["asthma", "E11.9", "heart attack", "zzqxv", "62264", "B20", "fract"]
VALUES: dict[str, list[str]] = {
    "system": ["cm", "pcs", "CPT", "hcpcs", "icd-10-cm", "=cm", "nope", ""],
    "limit": ["1", "3", "0", "-2", "abc", "=2", "07"],
    "section": ["summary", "risks", "excl", "bogus", "=summary"],
    "format": ["json", "jsonl", "csv", "plain", "table", "auto", "=json", "JSON"],
}


def _fast_converts(dest: str, value: str) -> bool:
    """Whether the fast path converts this effective value itself (else Typer judges it)."""
    kind = grammar.option(dest).type
    if kind == "int":
        return value.lstrip("-").isdigit() and value.count("-") <= 1 and not value.startswith("--")
    if kind == "format":
        return value in grammar.FORMATS
    return True


@st.composite
def spelling(draw: st.DrawFn, dest: str) -> tuple[list[str], bool]:
    """One option as typed, and whether the fast path should own it."""
    spec = grammar.option(dest)
    if spec.kind == grammar.FLAG:
        return [spec.flags[0]], True
    value = draw(st.sampled_from(VALUES[dest]))
    long_ = spec.flags[0]
    forms = [([long_, value], value), ([f"{long_}={value}"], value)]
    if len(spec.flags) > 1:
        short = spec.flags[1]
        forms += [([short, value], value), ([f"{short}={value}"], "=" + value)]  # click: the value is "=..."
        if value:
            forms.append(([short + value], value))
    tokens, effective = draw(st.sampled_from(forms))
    return tokens, _fast_converts(dest, effective)


@st.composite
def command_line(draw: st.DrawFn) -> tuple[list[str], bool]:
    command = draw(st.sampled_from(["search", "show"]))
    _, names = grammar.COMMANDS[command]
    names = tuple(n for n in names if n != "pager")
    words = draw(st.lists(st.sampled_from(QUERIES), min_size=1, max_size=2))
    opts = draw(st.lists(st.sampled_from(names).flatmap(spelling), max_size=4))
    tokens: list[list[str]] = [[w] for w in words] + [t for t, _ in opts]
    order = draw(st.permutations(range(len(tokens))))
    argv = [command]
    for i in order:
        argv += tokens[i]
    if draw(st.booleans()):
        argv += ["--", draw(st.sampled_from(QUERIES))]
    return argv, all(ok for _, ok in opts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=command_line())
@example(case=(["search", "asthma", "-s=cm"], True))
@example(case=(["show", "E11.9", "-S=summary", "-f=json"], False))
def test_generated_command_lines_agree(case: tuple[list[str], bool], lib: Any) -> None:
    argv, _ = case
    fast, slow = both(argv)
    assert fast == slow, argv


@settings(max_examples=300, deadline=None)
@given(case=command_line())
def test_the_fast_path_owns_every_well_formed_command_line(case: tuple[list[str], bool]) -> None:
    # The fast path gives up only where Typer must judge a value; everything else it parses
    # itself, so the parity test above compares two different parsers, not Typer with itself.
    argv, owned = case
    assert (grammar.parse(argv) is not None) == owned, argv


# -- help and --version without Typer ---------------------------------------------------------
@pytest.mark.parametrize("topic", ["", *grammar.COMMANDS, *sorted(grammar.TYPER_ONLY)])
@pytest.mark.parametrize("columns", ["60", "100"])
def test_help_is_typers_own_text_from_the_first_call_on(
    topic: str, columns: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODELOOKUP_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", columns)
    argv = [topic, "--help"] if topic else ["--help"]
    typer_alone = _capture(lambda a: int(run(a)), argv)
    first = _capture(fastpath.try_run, argv)  # runs Typer and keeps its text
    assert list((tmp_path / "help").iterdir()), "the help text is cached"
    again = _capture(fastpath.try_run, [argv[0], "-h"] if topic else ["-h"])  # from the cache
    assert first == again == typer_alone
    assert typer_alone[0] == 0 and "Usage: codelookup" in typer_alone[1]


def test_version_is_answered_without_typer() -> None:
    fast = _capture(fastpath.try_run, ["--version"])
    assert fast == _capture(lambda a: int(run(a)), ["--version"]) == _capture(fastpath.try_run, ["-V"])
    assert fast[1].startswith("codelookup ") and "catalogue" in fast[1]
