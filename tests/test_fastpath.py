"""The dependency-free fast path must behave exactly like the Typer application."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from codelookup import fastpath
from codelookup.cli import run

CASES = [
    ["search", "diabetis", "foot", "ulcer"],
    ["search", "heart attack", "--json"],
    ["search", "E11.6*", "--csv", "--limit", "5"],
    ["search", "fracture", "-n", "3", "--system", "cm", "--billable"],
    ["search", "--limit=2", "asthma", "--format", "jsonl"],
    ["search", "qqqxzvw", "--json"],
    ["search", "x", "--limit", "0"],
    ["search", "x", "--system", "ICD-11"],
    ["show", "E11.621", "--json"],
    ["show", "62264", "--section", "risks", "-S", "pat"],
    ["show", "0SRC0J9", "NOPE99", "--jsonl"],
    ["show", "E11.9", "--section", "nonsense"],
    ["show", "B20", "--system", "pcs", "--format", "plain"],
    ["search", "asthma", "--format", "table", "-n", "3"],
]


def capture(fn: Any, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    code = fn(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv", CASES, ids=[" ".join(c) for c in CASES])
def test_fast_path_matches_typer(argv: list[str], monkeypatch: pytest.MonkeyPatch, lib: Any) -> None:
    fast = capture(fastpath.try_run, argv, monkeypatch)
    assert fast[0] is not None, "the fast path should handle this call"
    slow = capture(run, argv, monkeypatch)
    assert fast == slow


@pytest.mark.parametrize(
    "argv",
    [
        ["search", "--help"],
        ["search", "x", "--bogus"],
        ["search", "x", "--json", "--csv"],
        ["search", "x", "--limit", "abc"],
        ["browse", "E11"],
        ["show", "--section"],
        ["show"],
        [],
    ],
)
def test_fast_path_defers_what_it_does_not_own(argv: list[str]) -> None:
    assert fastpath.parse(argv) is None or fastpath.try_run(argv) is None
