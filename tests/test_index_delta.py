"""The search index after an import: updated from the bundled catalogue's index (index_delta)
instead of rebuilt, and indistinguishable from a full rebuild for every reader."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from codelookup import index
from codelookup.catalogue import catalogue_file, read_first_line
from codelookup.importers import ImportKind, run_import

from .conftest import seed_cache

FIXTURES = Path(__file__).parent / "fixtures" / "import"
QUERIES = [
    "wheelchair", "J1100", "dexamethasone", "syringe needle sterile", "diabetes foot ulcer", "heart attack",
    "knee replacment", "0SRC0J9", "E11.9", "62264", "ambulance", "A4206", "walker", "J11.00", "E11.6*",
    "oxygen", "injection", "glasses frames", "BW03ZZZ", "hip replacement",
]  # fmt: skip


def _search(db: str, query: str) -> list[tuple[str, str, float, str]]:
    from codelookup.search import Searcher

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        hits = Searcher(con).search(query, limit=20).hits
        return [(h.code, h.system, round(h.score, 4), h.match) for h in hits]
    finally:
        con.close()


def _blob(db: str, name: str) -> bytes:
    con = sqlite3.connect(db)
    try:
        return bytes(con.execute("SELECT data FROM blob WHERE name=?", (name,)).fetchone()[0])
    finally:
        con.close()


def _rows(db: str, table: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(db)
    try:
        return sorted(con.execute(f"SELECT * FROM {table}").fetchall())
    finally:
        con.close()


def test_update_equals_full_rebuild(data_dir: Path, tmp_path: Path, session_index: Path) -> None:
    run_import(ImportKind.HCPCS, FIXTURES / "HCPC2025_JAN_ANWEB_sample.txt", force=True)
    # (an ICD-10-PCS or ICD-10-CM import rebuilds in full: the coders' indexes point at those
    # systems' records; see test_pcs_import_rebuilds_in_full)
    cat = catalogue_file()
    first = read_first_line(cat)
    layers = index._layer_files()
    assert len(layers) == 1
    base = str(session_index)  # the catalogue's own index, as an import finds it to update
    key = index.index_key(cat, first, layers)
    full, delta = str(tmp_path / "full.sqlite"), str(tmp_path / "delta.sqlite")
    index.build_index(full, cat, key, progress=False)
    started = time.perf_counter()
    assert index._update_index(base, delta, cat, layers, key, progress=False)
    took = time.perf_counter() - started
    for name in ("vocab", "df"):
        assert _blob(full, name) == _blob(delta, name), name
    for table in ("cdel", "phon", "sword", "sphr", "skind", "syn", "del1"):  # typo correction and synonyms
        assert _rows(full, table) == _rows(delta, table), table
    meta = {}
    for db in (full, delta):
        con = sqlite3.connect(db)
        meta[db] = dict(con.execute("SELECT key, value FROM meta"))
        con.close()
    assert json.loads(meta[full]["systems"]) == json.loads(meta[delta]["systems"])
    assert meta[full]["records"] == meta[delta]["records"] and meta[delta]["key"] == key
    for query in QUERIES:
        assert _search(full, query) == _search(delta, query), query
    print(f"index update from the base index: {took:.2f} s")  # timing is measured, not asserted


def test_connect_updates_after_an_import_and_says_so(
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    session_index: Path,
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("CODELOOKUP_CACHE_DIR", str(cache))
    seed_cache(session_index, cache)
    index.connect(progress=False).close()  # the bundled catalogue's index (or the wheel's)
    run_import(ImportKind.HCPCS, FIXTURES / "HCPC2025_JAN_ANWEB_sample.txt", force=True)
    calls: list[str] = []
    real = index.build_index
    monkeypatch.setattr(index, "build_index", lambda *a, **k: calls.append("full") or real(*a, **k))
    con = index.connect(progress=True)
    try:
        row = con.execute("SELECT title FROM rec WHERE system='HCPCS' AND code='A9999'").fetchone()
        assert row and "fixture wording" in row[0]
    finally:
        con.close()
    err = capfd.readouterr().err
    assert "updating the search index after the import" in err and "first run" not in err
    if os.path.isfile(index.PREBUILT) or any(p.name.startswith("index-") for p in cache.iterdir()):
        assert calls == []  # updated from the base index, not rebuilt
    # The base index is kept for the next import.
    assert len([p for p in cache.iterdir() if p.name.startswith("index-")]) >= 1


def test_pcs_import_rebuilds_in_full(data_dir: Path, tmp_path: Path, session_index: Path) -> None:
    """The coders' indexes (issue 14) hold ICD-10-CM/PCS record ids: no in-place update for those."""
    run_import(ImportKind.ICD10PCS, FIXTURES / "icd10pcs_tables_2030_sample.xml", force=True)
    cat = catalogue_file()
    first = read_first_line(cat)
    layers = index._layer_files()
    base = str(session_index)
    key = index.index_key(cat, first, layers)
    assert not index._update_index(base, str(tmp_path / "delta.sqlite"), cat, layers, key, progress=False)


def test_overlay_import_over_a_cached_index_rebuilds_in_full(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session_index: Path
) -> None:
    """An overlay layer (licensed CPT descriptors) cannot be applied in place: the update gives
    up after copying the base, and the full rebuild must not trip over that copy."""
    monkeypatch.setenv("CODELOOKUP_CACHE_DIR", str(tmp_path / "cache"))
    seed_cache(session_index, tmp_path / "cache")
    index.connect(progress=False).close()  # the catalogue's own index, the base of any update
    run_import(ImportKind.CPT, FIXTURES / "cpt_descriptors_sample.tsv")
    con = index.connect(progress=False)
    try:
        row = con.execute("SELECT data FROM rec WHERE system='CPT' AND code='62264'").fetchone()
        assert "Licensed descriptor placeholder B" in row[0]
    finally:
        con.close()
