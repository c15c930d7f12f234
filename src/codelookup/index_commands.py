"""``codelookup index|neoplasm|drug``: read the coders' indexes the way the book is read.

The data lives in the search index (tables ``ixe``/``ixbook``, see :mod:`codelookup.indexes`);
this module finds a term, walks its subterms, resolves every code against the catalogue
(valid, "more characters needed", or no longer a code with its nearest valid parent) and hands
flat rows to the shared writers, so every output format behaves as for the other commands.

JSON shapes (``--json``; every document also has ``schema_version``, ``catalogue_release``):

- ``index``: ``{"query", "system", "book": {name, release, origin, source, licence},
  "count", "results": [line]}``; a line is ``{"level", "term", "nemod", "path", "codes":
  [code], "see", "see_also", "use"}`` in book order (``level`` 0 is the main term); a code is
  ``{"code", "status", "title", "shown"}`` with ``status`` ``valid`` | ``incomplete`` (more
  characters needed) | ``stale`` (no longer a code; ``shown`` is the nearest valid parent). PCS
  codes add ``"table"``, ``"table_title"``, ``"finish"`` (how to complete the code) and
  ``"completions"`` (how many valid codes start with it).
- ``neoplasm`` / ``drug``: ``{"query", "book", "columns": [6 headings], "count", "results":
  [row]}``; a row is ``{"level", "term", "nemod", "path", "see", "see_also", "cells": [6 × code
  or null]}`` plus the six codes flat under the column keys for tables and CSV.
"""

from __future__ import annotations

import json
import sqlite3

from .errors import NotFoundError, UsageError
from .formats import OutputFormat, open_renderer, resolve_format
from .indexes import _key
from .systems import registry
from .text import clean_text, norm_code

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only (import cost)
    from typing import Any

    from .api import Library
    from .commands import Streams

MAX_LINES = 400
NEOPLASM_KEYS = ("malignant_primary", "malignant_secondary", "ca_in_situ", "benign", "uncertain", "unspecified")
DRUG_KEYS = ("poisoning_accidental", "poisoning_self_harm", "poisoning_assault", "poisoning_undetermined",
             "adverse_effect", "underdosing")  # fmt: skip
PCS_POSITIONS = {3: "4-7", 4: "5-7", 5: "6-7", 6: "7"}


def _require_tables(con: sqlite3.Connection) -> None:
    try:
        con.execute("SELECT 1 FROM ixe LIMIT 1").fetchone()
    except sqlite3.Error:
        raise NotFoundError(
            "this search index has no coders' indexes",
            hint="the companion file indexes.json.gz is missing from this installation",
        ) from None


def book_info(con: sqlite3.Connection, book: str) -> dict[str, Any]:
    row = con.execute("SELECT info FROM ixbook WHERE book=?", (book,)).fetchone()
    if row is None:
        raise NotFoundError(f"the {book} index is not available")
    info: dict[str, Any] = json.loads(row[0])
    return {k: info.get(k, "") for k in ("name", "release", "origin", "source", "licence", "notes", "heads")}


# -- finding terms -----------------------------------------------------------------------------
def _children(con: sqlite3.Connection, parent: int) -> list[tuple[Any, ...]]:
    return con.execute("SELECT * FROM ixe WHERE parent=? ORDER BY id", (parent,)).fetchall()


def find(con: sqlite3.Connection, books: tuple[str, ...], term: str, level0: int = 0) -> list[tuple[Any, ...]]:
    """Entries for ``term``, found the way a coder reads the book.

    'Main, sub, sub' walks down from the main term ('Fracture, traumatic' is a main term whose
    own title has a comma, so 'fracture, radius' also walks down from it). Without commas, the
    main term itself, then main terms starting with the words, then the words read as a walk
    ('carbon monoxide' = Carbon → monoxide).
    """
    _require_tables(con)
    parts = [p for p in (_key(x) for x in term.split(",")) if p]
    if not parts:
        raise UsageError("empty term", hint="e.g. codelookup index pheochromocytoma")
    found = _walk(con, books, parts, level0)
    if not found and len(parts) == 1 and " " in parts[0]:
        found = _walk(con, books, parts[0].split(), level0)
    return found


def _walk(con: sqlite3.Connection, books: tuple[str, ...], parts: list[str], level0: int) -> list[tuple[Any, ...]]:
    marks = ",".join("?" * len(books))
    first = parts[0]
    level = int(level0)  # a literal, so that the partial index on levels 0-1 serves the query
    roots = con.execute(
        f"SELECT * FROM ixe WHERE book IN ({marks}) AND level={level} AND key=? ORDER BY id", (*books, first)
    ).fetchall()
    if len(parts) > 1 or not roots:
        roots += con.execute(
            f"SELECT * FROM ixe WHERE book IN ({marks}) AND level={level} AND key > ? AND key < ?"
            " AND (key LIKE ? OR key LIKE ?) ORDER BY id LIMIT 40",
            (*books, first, first + "\uffff", first + ",%", first + " %"),
        ).fetchall()
    if len(parts) == 1:
        return roots[:20]
    out: list[tuple[Any, ...]] = []
    for root in roots:
        own = root[11].split(", ")
        k = 1
        while k < len(parts) and k < len(own) and own[k] == parts[k]:
            k += 1  # the main term's own title spells these parts ('Fracture, traumatic')
        rows = [root]
        for part in parts[k:]:
            kids = [c for r in rows for c in _children(con, r[0])]
            below = [c for c in kids if c[11] == part] or [c for c in kids if c[11].startswith(part)]
            if not below:
                rows = []
                break
            rows = below
        out.extend(rows)
    return out


def suggest(con: sqlite3.Connection, books: tuple[str, ...], term: str, level0: int = 0) -> list[str]:
    from rapidfuzz import fuzz, process

    marks = ",".join("?" * len(books))
    titles = [
        r[0]
        for r in con.execute(f"SELECT DISTINCT title FROM ixe WHERE book IN ({marks}) AND level=?", (*books, level0))
    ]
    keyed = {_key(t): t for t in titles}
    found = process.extract(_key(term), list(keyed), scorer=fuzz.ratio, limit=5, score_cutoff=70)
    return [keyed[str(m[0])] for m in found]


def subtree(con: sqlite3.Connection, root: tuple[Any, ...], limit: int = MAX_LINES) -> list[tuple[Any, ...]]:
    """The entry and everything indented below it, in book order."""
    out = [root]
    rows = con.execute(
        "SELECT * FROM ixe WHERE book=? AND id>? ORDER BY id LIMIT ?", (root[1], root[0], limit)
    ).fetchall()
    for r in rows:
        if r[2] <= root[2]:
            break
        out.append(r)
    return out


def path_of(con: sqlite3.Connection, row: tuple[Any, ...]) -> str:
    labels: list[str] = []
    cur: tuple[Any, ...] | None = row
    while cur is not None:
        labels.append(f"{cur[4]} {cur[5]}".strip())
        cur = con.execute("SELECT * FROM ixe WHERE id=?", (cur[3],)).fetchone() if cur[3] >= 0 else None
    return ", ".join(reversed(labels))


# -- codes -------------------------------------------------------------------------------------
def resolve_code(con: sqlite3.Connection, system: str, code: str) -> dict[str, Any]:
    """A code as the index gives it, checked against the catalogue."""
    raw = code.strip()
    key = norm_code(raw).replace("-", "")
    row = con.execute("SELECT code, title, billable FROM rec WHERE system=? AND norm=?", (system, key)).fetchone()
    out: dict[str, Any] = {"code": raw}
    if row is None and registry.has(system, "has_axes") and len(key) < 7:
        # A partial PCS code (table + characters) is valid when some code completes it.
        row = con.execute(
            "SELECT code, title, billable FROM rec WHERE system=? AND norm GLOB ? AND length(norm)=7 LIMIT 1",
            (system, key + "*"),
        ).fetchone()
        if row is not None:
            row = (raw, "", False)
    if row is None:
        k = key
        while k and row is None:
            k = k[:-1]
            row = con.execute("SELECT code, title, billable FROM rec WHERE system=? AND norm=?", (system, k)).fetchone()
        out["status"] = "stale"
        out["shown"] = row[0] if row else ""
        out["title"] = row[1] if row else ""
        return out
    out["status"] = "incomplete" if raw.endswith("-") or not row[2] else "valid"
    out["shown"] = row[0]
    out["title"] = row[1]
    if registry.has(system, "seventh_characters") and not row[2] and len(key) < 7:
        seventh = con.execute(
            "SELECT code, title FROM rec WHERE system=? AND norm=?", (system, key.ljust(6, "X") + "A")
        ).fetchone()
        if seventh is not None:
            out.update(status="valid", shown=seventh[0], title=seventh[1], seventh="A (initial encounter)")
    if registry.has(system, "has_axes") and len(key) < 7:
        table = con.execute("SELECT code, title FROM rec WHERE system=? AND norm=?", (system, key[:3])).fetchone()
        completions = con.execute(
            "SELECT count(*) FROM rec WHERE system=? AND norm GLOB ? AND length(norm)=7", (system, key + "*")
        ).fetchone()[0]
        out.update(
            status="incomplete",
            table=table[0] if table else key[:3],
            table_title=table[1] if table else "",
            finish=f"choose characters {PCS_POSITIONS.get(len(key), '4-7')} from table {key[:3]}",
            completions=int(completions),
        )
    return out


def _code_text(c: dict[str, Any]) -> str:
    if c["status"] == "stale":
        return f"{c['code']} (no longer a code; nearest {c['shown'] or '-'})"
    if c.get("finish"):
        return f"{c['code']} (table {c['table']}: {c['finish']}; {c['completions']} codes)"
    if c["shown"] != c["code"].rstrip("-"):
        return f"{c['code']} → {c['shown']}"
    return f"{c['code']}" + (" (more characters needed)" if c["status"] == "incomplete" else "")


def _indent(level: int) -> str:
    """Visible indentation ('· - ' for level 2): every output format collapses white space."""
    return "· " * (level - 1) + "- " if level > 0 else ""


def _with_synonyms(lib: Library, term: str, look: Any) -> Any:
    """Run ``look(term)``; when nothing is found, retry with the lay synonym table's wording
    ('tylenol' → '4-aminophenol derivatives'), so the commands understand what search does."""
    try:
        return look(term)
    except NotFoundError:
        expansions = lib.searcher.synonyms.get(" ".join(term.lower().split()), ())
        for expansion in expansions:
            try:
                return look(expansion)
            except NotFoundError:
                continue
        raise


# -- commands ----------------------------------------------------------------------------------
INDEX_COLUMNS = (("entry", "Entry"), ("code", "Code"), ("reference", "See / use"))


def index_lines(lib: Library, term: str, system: str = "cm") -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The book's info and the lines of every entry matching ``term`` (with their subterms)."""
    con = lib.con
    sys_key = system.strip().lower().replace("-", "").replace("icd10", "")
    if sys_key not in ("cm", "pcs"):
        raise UsageError(f"unknown index system {system!r}", hint="use cm (the default) or pcs")
    books = ("pcs",) if sys_key == "pcs" else ("cm", "ecm")
    term = clean_text(term)
    if not term:
        raise UsageError("empty term", hint="e.g. codelookup index pheochromocytoma")
    roots = find(con, books, term)
    if not roots:
        sugg = suggest(con, books, term)
        raise NotFoundError(
            f"no index entry for {term!r}",
            hint=("did you mean: " + ", ".join(sugg)) if sugg else "try the main term alone, e.g. the condition's noun",
            suggestions=tuple(sugg),
        )
    code_system = "ICD-10-PCS" if sys_key == "pcs" else "ICD-10-CM"
    lines: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for root in roots:
        sig = (root[4], root[6], root[7])
        if sig in seen:  # the same entry in two books (an imported index that is the External Cause one)
            continue
        seen.add(sig)
        base = root[2]
        for r in subtree(con, root):
            codes = [resolve_code(con, code_system, c.split()[0]) for c in r[6].split("|") if c]
            lines.append(
                {
                    "level": r[2] - base,
                    "term": r[4],
                    "nemod": r[5],
                    "path": path_of(con, r),
                    "codes": codes,
                    "see": r[7],
                    "see_also": r[8],
                    "use": r[9],
                    "book": r[1],
                }
            )
            if len(lines) >= MAX_LINES:
                break
    info = book_info(con, books[0])
    return info, lines


def _index_row(line: dict[str, Any]) -> dict[str, Any]:
    ref = []
    if line["see"]:
        ref.append(f"see {line['see']}")
    if line["see_also"]:
        ref.append(f"see also {line['see_also']}")
    if line["use"]:
        ref.append(f"use {line['use']}")
    term = f"{line['term']} {line['nemod']}".strip() or "—"
    if line["level"] == 0 and ", " in line["path"] and not line["path"].startswith(term):
        term = line["path"]  # a subterm found by walking: say where it sits
    return {
        **line,
        "entry": _indent(line["level"]) + term,
        "code": ", ".join(_code_text(c) for c in line["codes"]),
        "reference": "; ".join(ref),
    }


def run_index(term: str, system: str, fmt: OutputFormat, lib: Library, streams: Streams) -> int:
    from .commands import envelope, note

    info, lines = _with_synonyms(lib, term, lambda t: index_lines(lib, t, system))
    env = {**envelope(lib), "system": "ICD-10-PCS" if info["name"].endswith("PCS Index") else "ICD-10-CM",
           "book": {k: v for k, v in info.items() if k != "heads"}}  # fmt: skip
    if info.get("origin", "").startswith("derived"):
        note(streams, f"{info['name']}: {info['origin']} (a lossy third-party flattening, not the official index)")
    rows = [_index_row(x) for x in lines]
    if resolve_format(fmt, streams.out.isatty()) in (OutputFormat.JSON, OutputFormat.JSONL):
        rows = [{k: v for k, v in r.items() if k not in ("entry", "code", "reference")} for r in rows]
    with open_renderer(fmt, streams.out, env, INDEX_COLUMNS) as out:
        out.listing(rows, query=clean_text(term), title=clean_text(term))
    return 0


def table_rows(lib: Library, book: str, term: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Rows of the Neoplasm Table or Table of Drugs matching ``term``, with resolved cells."""
    con = lib.con
    term = clean_text(term)
    if not term:
        raise UsageError(
            "empty term", hint=f"e.g. codelookup {book} {'breast' if book == 'neoplasm' else 'acetaminophen'}"
        )
    if book == "neoplasm":
        t = term
        for lead in ("neoplasm, neoplastic", "neoplasm", "neoplastic"):
            if _key(t).startswith(lead + ",") or _key(t) == lead:
                t = t[len(lead) :].lstrip(", ")
                break
        roots = find(con, ("neoplasm",), t, level0=1) if t else find(con, ("neoplasm",), "neoplasm, neoplastic")
    else:
        roots = find(con, ("drug",), term)
    if not roots:
        sugg = suggest(con, (book,), term, level0=1 if book == "neoplasm" else 0)
        raise NotFoundError(
            f"no {'Neoplasm Table site' if book == 'neoplasm' else 'Table of Drugs substance'} {term!r}",
            hint=("did you mean: " + ", ".join(sugg)) if sugg else "try another spelling or a broader word",
            suggestions=tuple(sugg),
        )
    keys = NEOPLASM_KEYS if book == "neoplasm" else DRUG_KEYS
    rows: list[dict[str, Any]] = []
    for root in roots:
        base = root[2]
        for r in subtree(con, root):
            cells_raw = r[10].split("|") if r[10] else [""] * 6
            cells = [resolve_code(con, "ICD-10-CM", c) if c else None for c in cells_raw]
            row: dict[str, Any] = {
                "level": r[2] - base,
                "term": r[4],
                "nemod": r[5],
                "path": path_of(con, r),
                "see": r[7],
                "see_also": r[8],
                "cells": cells,
            }
            label = f"{r[4]} {r[5]}".strip()
            if r is root and r[2] > 0:  # a subterm found by walking: say where it sits
                label = row["path"].split(", ", 2)[-1] if book == "neoplasm" else row["path"]
            row["entry"] = _indent(row["level"]) + label
            if r[7] or r[8]:
                row["entry"] += f" (see{' also' if r[8] and not r[7] else ''} {r[7] or r[8]})"
            for key, cell in zip(keys, cells, strict=True):
                row[key] = (
                    ""
                    if cell is None
                    else cell["shown"] + ("-" if cell["status"] == "incomplete" and cell["code"].endswith("-") else "")
                )
            rows.append(row)
            if len(rows) >= MAX_LINES:
                break
    return book_info(con, book), rows


def run_table(book: str, term: str, fmt: OutputFormat, lib: Library, streams: Streams) -> int:
    from .commands import envelope

    info, rows = _with_synonyms(lib, term, lambda t: table_rows(lib, book, t))
    keys = NEOPLASM_KEYS if book == "neoplasm" else DRUG_KEYS
    heads = list(info.get("heads") or [])
    columns = (("entry", "Site" if book == "neoplasm" else "Substance"), *zip(keys, heads, strict=True))
    env = {**envelope(lib), "book": {k: v for k, v in info.items() if k != "heads"}, "columns": heads}
    if resolve_format(fmt, streams.out.isatty()) in (OutputFormat.JSON, OutputFormat.JSONL):
        rows = [{k: v for k, v in r.items() if k != "entry"} for r in rows]
    with open_renderer(fmt, streams.out, env, columns) as out:
        out.listing(rows, query=clean_text(term), title=clean_text(term))
    return 0
