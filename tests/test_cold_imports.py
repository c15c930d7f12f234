"""What each cold command imports: never Typer, pydantic, Rich or rapidfuzz where it needs none.

Each command runs in a fresh interpreter through the fast path (``fastpath.try_run``), the
way the console script starts, and reports which heavy modules it loaded. Each help text is
recorded once first (as a user's first ``--help`` does). A second test holds the typo path to
its contract: a word the index has is never typo-corrected (so never reaches rapidfuzz).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO

HEAVY = ("typer", "click", "pydantic", "rich", "rapidfuzz")
CHILD = """
import io, json, os, sys
from codelookup.fastpath import try_run
real, sys.stdout = sys.stdout, io.TextIOWrapper(open(os.devnull, "wb"), encoding="utf-8")
rc = try_run(sys.argv[1:])
sys.stdout.flush()
sys.stdout = real
print(json.dumps({"rc": rc, "heavy": sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))}))
""".replace("HEAVY", repr(HEAVY))

COMMANDS = [
    ["search", "diabetic foot ulcer"],
    ["search", "diabetic foot ulcer", "--json"],
    ["search", "diabetic foot ulcer", "--csv"],
    ["search", "diabetis foot ulcer"],  # a typo the delete-1 table corrects
    ["search", "asthma", "--format", "table"],  # the table without Rich
    ["show", "E11.621"],
    ["show", "62264", "--json"],
    ["show", "62264", "--format", "table"],  # a CPT page without Rich
    ["browse", "E11"],
    ["browse", "E11", "--format", "table"],
    ["browse", "ICD-10-PCS", "--jsonl"],
    ["systems"],
    ["systems", "--json"],
    ["systems", "--format", "table"],  # the panels without Rich
    ["sections"],
    ["sections", "--format", "table"],
    ["--version"],
    ["--help"],
    ["search", "--help"],
    ["browse", "-h"],
]


def test_cold_commands_import_nothing_heavy(tmp_path: Path) -> None:
    env = {**os.environ, "CODELOOKUP_CACHE_DIR": os.environ["CODELOOKUP_CACHE_DIR"], "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    env["COLUMNS"] = "100"
    # the first call of each help goes through Typer and records its text, as for a user
    for argv in COMMANDS:
        if argv[-1] in ("--help", "-h"):
            subprocess.run([sys.executable, "-m", "codelookup", *argv], env=env, capture_output=True, check=True)
    failures = []
    for argv in COMMANDS:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, *argv], env=env, capture_output=True, text=True, check=False, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        report: dict[str, Any] = json.loads(proc.stdout)
        if report["rc"] != 0 or report["heavy"]:
            failures.append((argv, report))
    assert not failures


def test_indexed_words_never_reach_rapidfuzz(lib: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Typo correction (and its rapidfuzz fallback) runs only for a word the index lacks, never for
    a query word the index has."""
    from codelookup.errors import NotFoundError
    from codelookup.text import stem, words

    searcher = lib.searcher
    vocab = searcher.vocab_set
    corrected: list[str] = []
    real = searcher._typo

    def spy(s: str) -> list[tuple[str, float]]:
        corrected.append(s)
        return real(s)  # type: ignore[no-any-return]

    monkeypatch.setattr(searcher, "_typo", spy)
    lines = (REPO / "bench" / "queries.tsv").read_text().splitlines()[1:]
    queries = [line.split("\t")[1] for line in lines if "\t" in line]
    queries += (REPO / "bench" / "perf_queries.txt").read_text().splitlines()
    checked = 0
    for query in dict.fromkeys(q.strip() for q in queries if q.strip()):
        ws = words(query)
        if not ws or not all(stem(w) in vocab or w in vocab for w in ws):
            continue
        checked += 1
        corrected.clear()
        with contextlib.suppress(NotFoundError):
            lib.search(query)
        own = {stem(w) for w in ws} | set(ws)
        # (a synonym reading may add words of its own; whether those are indexed is the catalogue's business)
        assert not own & set(corrected), (
            f"{query!r}: typo correction ran for {corrected} although every word is indexed"
        )
    assert checked > 200, checked
