"""Update a copy of the bundled catalogue's search index for the user's imported layers.

After ``codelookup import``, rebuilding the whole index (188,000 records) costs seconds of CPU
that the one replaced system does not need: an HCPCS release touches 9,000 records. So when the
index of the bundled catalogue is at hand (the wheel's prebuilt one, or the one built earlier in
the cache), this module copies it and swaps the replaced systems' records in place: their rows
are deleted, their ids removed from the posting lists of the words they used, and the new
records are appended with fresh ids (larger than every old one, so posting lists stay sorted)
and added to the posting lists, vocabulary, document frequencies, typo table and ranking arrays.
The result answers every query exactly like a full rebuild (``tests/test_index_delta.py``
compares them). Overlay layers (licensed CPT descriptors) fall back to the full rebuild.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from array import array
from typing import Any

from .index import (
    DERIVED_KEYS,
    STANDARD_KEYS,
    _field_terms,
    _title_prior,
    _with_page,
    load_common_codes,
    read_layers,
)
from .systems import registry
from .text import deletes1, norm_code

FIELDS = ("t", "a", "x", "b")


class NotApplicable(Exception):
    """The layers cannot be applied incrementally (the caller rebuilds the index instead)."""


def _ranges(ids: list[int]) -> list[tuple[int, int]]:
    """Sorted ids as inclusive runs: a system's records are contiguous in the catalogue, so
    removing one is a handful of slices per posting list, not a membership test per id."""
    runs: list[tuple[int, int]] = []
    for i in sorted(ids):
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _strip(arr: array[int], runs: list[tuple[int, int]]) -> array[int]:
    """``arr`` (sorted) without the ids in ``runs``."""
    from bisect import bisect_left, bisect_right

    for lo, hi in runs:
        i = bisect_left(arr, lo)
        j = bisect_right(arr, hi, i)
        if i < j:
            arr = arr[:i] + arr[j:]
    return arr


def _record_of(row: tuple[Any, ...]) -> dict[str, Any]:
    system, code, title, billable, kind, parent, data = row
    rec: dict[str, Any] = json.loads(data) if data else {}
    rec.update(system=system, code=code, title=title, billable=bool(billable), kind=kind, parent=parent)
    return rec


def update(base: str, target: str, bundled_systems: dict[str, Any], layer_files: list[str], key: str) -> None:
    """Write to ``target`` the index of the bundled catalogue (``base``) with ``layer_files``."""
    shutil.copyfile(base, target)
    con = sqlite3.connect(target)
    try:
        bundled_pcs = {k: json.loads(v) for k, v in con.execute("SELECT prefix, data FROM pcs")}
        systems, pcs_tables, replaced, replacements, overlays = read_layers(bundled_systems, bundled_pcs, layer_files)
        if overlays or not replaced:
            raise NotApplicable("overlay layers need a full rebuild")
        from .indexes import BOOK_SYSTEM

        if replaced & set(BOOK_SYSTEM.values()):
            # The coders' indexes (issue 14) point at these systems' record ids and are checked
            # against their codes: a new ICD-10-CM or ICD-10-PCS release needs them rebuilt too.
            raise NotApplicable("the coders' indexes are built against the replaced system")
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        _apply(con, systems, pcs_tables if pcs_tables is not bundled_pcs else None, replaced, replacements, key)
        con.commit()
    finally:
        con.close()


def _index_aliases(con: sqlite3.Connection, term: str) -> int:
    """How many index entries use ``term`` (0 when the index has no coders' indexes)."""
    try:
        row = con.execute("SELECT length(ess), length(ext) FROM ixpost WHERE term=?", (term,)).fetchone()
    except sqlite3.Error:
        return 0
    return 0 if row is None else ((row[0] or 0) + (row[1] or 0)) // 4


def _apply(
    con: sqlite3.Connection,
    systems: dict[str, Any],
    pcs_tables: dict[str, Any] | None,
    replaced: set[str],
    replacements: list[dict[str, Any]],
    key: str,
) -> None:
    marks = ",".join("?" * len(replaced))
    names = sorted(replaced)
    stems: dict[str, str] = {}
    # 1. The replaced systems' records leave: their ids come out of the postings of their words.
    removed: list[int] = []
    pages: dict[tuple[str, str], dict[str, Any]] = {}
    for row in con.execute(
        f"SELECT id, system, code, title, billable, kind, parent, data FROM rec WHERE system IN ({marks})", names
    ):
        removed.append(row[0])
        if row[7] and '"sections"' in row[7] and registry.has(row[1], "has_pages"):
            rec = _record_of(row[1:])
            if rec.get("sections"):
                pages[(rec["system"], norm_code(rec["code"]))] = rec
    con.execute(f"DELETE FROM rec WHERE system IN ({marks})", names)

    # 2. The new records arrive with fresh ids, in the order a full build would give them.
    priors = array("f")
    priors.frombytes(bytes(con.execute("SELECT data FROM blob WHERE name='prior'").fetchone()[0]))
    tlens = bytearray(con.execute("SELECT data FROM blob WHERE name='tlen'").fetchone()[0])
    sysb = bytearray(con.execute("SELECT data FROM blob WHERE name='sysb'").fetchone()[0])
    start = len(priors)  # one entry per id of the base index: new ids follow every old one
    common = load_common_codes()
    added: dict[str, list[array[int]]] = {}
    rows: list[list[Any]] = []
    ids: dict[tuple[str, str], int] = {}
    parents: list[int] = []
    depth: list[int] = []
    bills: list[bool] = []
    counts: dict[str, list[int]] = {}
    for offset, rec in enumerate(sorted(replacements, key=lambda r: registry.order_of(r["system"]))):
        page = pages.get((rec["system"], norm_code(rec["code"]))) if pages else None
        if page is not None and rec.get("billable"):
            rec = _with_page(rec, page)
        i = start + offset
        system, code = str(rec["system"]), str(rec["code"])
        parent = rec.get("parent")
        pid = ids.get((system, str(parent)), -1) if parent else -1
        ids[(system, code)] = offset
        parents.append(pid)
        d = depth[pid] + 1 if pid >= 0 else 0
        depth.append(d)
        bill = bool(rec.get("billable"))
        bills.append(bill)
        c = counts.setdefault(system, [0, 0])
        c[0] += 1
        c[1] += int(bill)
        extra = {k: v for k, v in rec.items() if k not in STANDARD_KEYS and k not in DERIVED_KEYS}
        data = json.dumps(extra, ensure_ascii=False, separators=(",", ":")) if extra else None
        rows.append([i, system, code, norm_code(code), str(rec.get("title", "")), int(bill), rec.get("kind", ""),
                     parent, d, 0, data])  # fmt: skip
        title_terms, per_field = _field_terms(rec, stems)
        prior, tlen = _title_prior(rec, common, title_terms)
        priors.append(prior - 0.004 * d)
        tlens.append(tlen)
        sysb.append(registry.id_of(system) * 2 + int(bill))
        for f, terms in enumerate(per_field):
            for st in terms:
                lists = added.get(st)
                if lists is None:
                    lists = added[st] = [array("I"), array("I"), array("I"), array("I")]
                lists[f].append(i)
    nbill = [0] * len(rows)
    for k in range(len(rows) - 1, -1, -1):
        if bills[k]:
            nbill[k] += 1
        if parents[k] >= 0:
            nbill[parents[k]] += nbill[k]
    for k, row in enumerate(rows):
        row[9] = nbill[k]
    con.executemany("INSERT INTO rec VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)

    # 3. Posting lists, vocabulary, document frequencies and the typo table of the words touched.
    vocab = bytes(con.execute("SELECT data FROM blob WHERE name='vocab'").fetchone()[0]).decode().split("\n")
    dfs = array("I")
    dfs.frombytes(bytes(con.execute("SELECT data FROM blob WHERE name='df'").fetchone()[0]))
    df_of = dict(zip(vocab, dfs, strict=True))
    ranges = _ranges(removed)
    changed: list[tuple[str, list[bytes | None]]] = []
    gone: list[str] = []
    seen: set[str] = set()
    for term, *blobs in con.execute("SELECT term, t, a, x, b FROM post"):
        seen.add(term)
        new = added.get(term)
        kept: list[array[int]] = []
        dirty = new is not None
        for f, raw in enumerate(blobs):
            arr = array("I")
            if raw is not None:
                arr.frombytes(raw)
                stripped = _strip(arr, ranges)
                dirty = dirty or len(stripped) != len(arr)
                arr = stripped
            if new is not None:
                arr.extend(new[f])
            kept.append(arr)
        if not dirty:
            continue
        total = sum(len(a) for a in kept)
        aliases = _index_aliases(con, term) if total == 0 else 0
        if aliases:
            # Still a word of the coders' indexes (issue 14): it stays, counting its index
            # entries, as a full build keeps it.
            changed.append((term, [None, None, None, None]))
            df_of[term] = aliases
        elif total == 0:
            gone.append(term)
            df_of.pop(term, None)
        else:
            changed.append((term, [a.tobytes() if len(a) else None for a in kept]))
            df_of[term] = total
    fresh = [t for t in added if t not in seen]
    for term in fresh:
        only = added[term]
        changed.append((term, [a.tobytes() if len(a) else None for a in only]))
        df_of[term] = sum(len(a) for a in only)
    con.executemany("INSERT OR REPLACE INTO post VALUES (?,?,?,?,?)", ((t, *b) for t, b in changed))
    con.executemany("DELETE FROM post WHERE term=?", ((t,) for t in gone))
    con.executemany(  # by primary key (key, word): a lookup by word alone would scan the table
        "DELETE FROM del1 WHERE key=? AND word=?",
        ((d, w) for w in gone if len(w) >= 4 and not w.isdigit() for d in deletes1(w)),
    )
    con.executemany(
        "INSERT OR IGNORE INTO del1 VALUES (?,?)",
        ((d, w) for w in fresh if len(w) >= 4 and not w.isdigit() for d in deletes1(w)),
    )
    words = sorted(df_of)
    con.execute("UPDATE blob SET data=? WHERE name='vocab'", ("\n".join(words).encode(),))
    con.execute("UPDATE blob SET data=? WHERE name='df'", (array("I", (df_of[w] for w in words)).tobytes(),))
    con.execute("UPDATE blob SET data=? WHERE name='prior'", (priors.tobytes(),))
    con.execute("UPDATE blob SET data=? WHERE name='tlen'", (bytes(tlens),))
    con.execute("UPDATE blob SET data=? WHERE name='sysb'", (bytes(sysb),))
    # The correction tables follow the vocabulary (phonetic keys of every word), so they are
    # rebuilt from the updated one, as a full build makes them.
    from .correct import build_tables
    from .synonyms import load_kinds

    con.executescript("DROP TABLE cdel; DROP TABLE phon; DROP TABLE sword; DROP TABLE sphr; DROP TABLE skind;")
    syn_terms = [row[0] for row in con.execute("SELECT term FROM syn")]
    build_tables(con, words, syn_terms, load_kinds())

    # 4. PCS tables, provenance and counts, and the key that names this index.
    if pcs_tables is not None:
        con.execute("DELETE FROM pcs")
        con.executemany("INSERT INTO pcs VALUES (?,?)",
                        ((k, json.dumps(v, ensure_ascii=False)) for k, v in pcs_tables.items()))  # fmt: skip
    old = json.loads(con.execute("SELECT value FROM meta WHERE key='systems'").fetchone()[0])
    for name, prov in systems.items():
        if name not in replaced and name in old:
            for field in ("records", "billable"):
                if field in old[name]:
                    prov[field] = old[name][field]
    for name, (n, b) in counts.items():
        prov = systems.setdefault(name, {"name": name})
        prov["records"] = n
        prov["billable"] = b
    total = int(con.execute("SELECT count(*) FROM rec").fetchone()[0])
    meta = {"key": key, "systems": json.dumps(systems, ensure_ascii=False, sort_keys=True), "records": str(total)}
    con.executemany("INSERT OR REPLACE INTO meta VALUES (?,?)", meta.items())
