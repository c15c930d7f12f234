"""The relevance query set is well-formed, and the benchmark scores queries the way it claims.

These tests never assert relevance numbers: they guard the measuring stick, not the result.
"""

from __future__ import annotations

import collections
import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH = REPO_ROOT / "bench" / "relevance.py"
QUERIES = REPO_ROOT / "bench" / "queries.tsv"
# The catalogue the library would load: an explicit override first, then the work tree's build.
CODES_JSON = Path(os.environ.get("CODELOOKUP_CATALOGUE") or REPO_ROOT / "data" / "codes.json")

MINIMUM = {
    "lay": 40,
    "clinical": 40,
    "typo": 40,
    "code": 30,
    "procedure": 40,
    "cpt": 40,
    "consumer": 30,
    "misspelling": 60,
    "multicode": 8,
    "hcpcs": 30,
}


def _load_bench() -> ModuleType:
    """bench/ is not a package, so load the script by path (as ``python bench/...`` would)."""
    spec = importlib.util.spec_from_file_location("bench_relevance", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


rel = _load_bench()


@pytest.fixture(scope="module")
def raw_rows() -> list[list[str]]:
    lines = QUERIES.read_text(encoding="utf-8").split("\n")
    return [line.split("\t") for line in lines if line.strip()]


@pytest.fixture(scope="module")
def queries() -> list[object]:
    return list(rel.load_queries(QUERIES))


# --------------------------------------------------------------------------- the file


def test_header_and_four_columns_everywhere(raw_rows: list[list[str]]) -> None:
    assert raw_rows[0] == ["category", "query", "expected", "note"]
    bad = [i for i, row in enumerate(raw_rows, start=1) if len(row) != 4]
    assert bad == [], f"lines without exactly 4 tab-separated columns: {bad}"


def test_file_ends_with_newline_and_has_no_carriage_returns() -> None:
    text = QUERIES.read_text(encoding="utf-8")
    assert text.endswith("\n")
    assert "\r" not in text


def test_every_line_parses(queries: list[object]) -> None:
    # load_queries raises on any malformed line, so reaching here means all parsed;
    # the count check below guards against lines being silently dropped.
    data_lines = [r for r in QUERIES.read_text(encoding="utf-8").split("\n")[1:] if r.strip()]
    assert len(queries) == len(data_lines)


def test_at_least_300_queries(queries: list[object]) -> None:
    assert len(queries) >= 300


def test_counts_per_category(queries: list[object]) -> None:
    counts = collections.Counter(q.category for q in queries)  # type: ignore[attr-defined]
    assert set(counts) == set(MINIMUM)
    short = {c: counts[c] for c, n in MINIMUM.items() if counts[c] < n}
    assert short == {}, f"categories below their minimum: {short}"


def test_no_duplicate_queries_within_a_category(queries: list[object]) -> None:
    # Exact text: "E11.9", "e119" and " E11.9 " are deliberately different code queries.
    seen = collections.Counter((q.category, q.text) for q in queries)  # type: ignore[attr-defined]
    dupes = [k for k, n in seen.items() if n > 1]
    assert dupes == []


def test_code_queries_expect_exactly_one_exact_code(queries: list[object]) -> None:
    for q in queries:
        if q.category == "code":  # type: ignore[attr-defined]
            (only,) = q.expected  # type: ignore[attr-defined]
            assert not only.prefix, q
            # the query must be a form of that very code, not a description
            assert rel._squash(q.text) == only.stem, q  # type: ignore[attr-defined]


def test_expected_answers_are_never_a_whole_chapter(queries: list[object]) -> None:
    for q in queries:
        for e in q.expected:  # type: ignore[attr-defined]
            if e.prefix:
                assert len(e.stem) >= 3, (q, e)


def test_cpt_category_expects_cpt_codes(queries: list[object]) -> None:
    for q in queries:
        if q.category == "cpt":  # type: ignore[attr-defined]
            assert all(e.system == rel.CPT for e in q.expected), q  # type: ignore[attr-defined]


def test_procedure_category_expects_pcs_codes(queries: list[object]) -> None:
    for q in queries:
        if q.category == "procedure":  # type: ignore[attr-defined]
            assert all(e.system == rel.PCS for e in q.expected), q  # type: ignore[attr-defined]


def _catalogue_codes() -> Iterator[tuple[str, str]]:
    """(system, code) of every record, read line by line as the writer lays the file out."""
    with CODES_JSON.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip().rstrip(",")
            if not line.startswith('{"') or '"system"' not in line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # line 1 (the header) is deliberately incomplete JSON
            if "code" in rec and "system" in rec:
                yield rec["system"], rec["code"]


def test_icd10_expected_codes_exist_in_the_catalogue(queries: list[object]) -> None:
    if not CODES_JSON.exists():
        pytest.skip(f"{CODES_JSON} is not built yet (python -m codelookup.build)")
    have: dict[str, set[str]] = collections.defaultdict(set)
    for system, code in _catalogue_codes():
        have[system].add(rel._squash(code))
    if not have[rel.CM]:
        pytest.skip("data/codes.json has no ICD-10-CM records to check against")
    missing = []
    for q in queries:
        for e in q.expected:  # type: ignore[attr-defined]
            if e.system not in (rel.CM, rel.PCS) or not have[e.system]:
                continue
            pool = have[e.system]
            ok = any(c.startswith(e.stem) for c in pool) if e.prefix else e.stem in pool
            if not ok:
                missing.append((q.text, e.system, e.stem))  # type: ignore[attr-defined]
    assert missing == [], f"expected codes absent from data/codes.json: {missing}"


# --------------------------------------------------------------------------- the parser


@pytest.mark.parametrize(
    ("token", "system", "stem", "prefix"),
    [
        ("E11.621", "ICD-10-CM", "E11621", False),
        ("I10", "ICD-10-CM", "I10", False),
        ("I21*", "ICD-10-CM", "I21", True),
        ("S52.5*", "ICD-10-CM", "S525", True),
        ("J12*", "ICD-10-CM", "J12", True),
        ("0SRC0J9", "ICD-10-PCS", "0SRC0J9", False),
        ("0SRC*", "ICD-10-PCS", "0SRC", True),
        ("021*", "ICD-10-PCS", "021", True),
        ("62264", "CPT", "62264", False),
        ("0213T", "CPT", "0213T", False),
        ("9921*", "CPT", "9921", True),
        ("J3420", "HCPCS", "J3420", False),
        ("pcs:3023*", "ICD-10-PCS", "3023", True),
        ("pcs:B244*", "ICD-10-PCS", "B244", True),
    ],
)
def test_parse_expected(token: str, system: str, stem: str, prefix: bool) -> None:
    e = rel.parse_expected(token)
    assert (e.system, e.stem, e.prefix) == (system, stem, prefix)


@pytest.mark.parametrize(
    "token",
    ["", "*", "E*", "e11.9", "E119", "E11.9 x", "ABC", "1234567*", "foo:E11.9", "cm:0SRC0J9"],
)
def test_parse_expected_rejects(token: str) -> None:
    with pytest.raises(ValueError):
        rel.parse_expected(token)


def test_match_needs_the_same_system() -> None:
    viral_pneumonia = rel.parse_expected("J12*")
    assert viral_pneumonia.matches("J12.9", "ICD-10-CM")
    assert not viral_pneumonia.matches("J1200", "HCPCS")


def test_match_ignores_dots_spaces_and_case() -> None:
    e = rel.parse_expected("E11.621")
    assert e.matches("E11621", "ICD-10-CM")
    assert e.matches(" e11.621 ", "ICD-10-CM")
    assert not e.matches("E11.62", "ICD-10-CM")


def test_first_hit_and_scores() -> None:
    exp = (rel.parse_expected("I21*"),)
    ranked = [("I20.9", "ICD-10-CM"), ("I21.4", "ICD-10-CM")]
    assert rel.first_hit(ranked, exp) == 2
    assert rel.first_hit([], exp) is None
    beyond = [("Z00.00", "ICD-10-CM")] * 10 + [("I21.4", "ICD-10-CM")]
    assert rel.first_hit(beyond, exp) is None  # only the top 10 count
    s = rel.Score()
    for r in (1, 2, None, 10):
        s.add(r)
    assert s.hit_at(1) == 0.25
    assert s.hit_at(10) == 0.75
    assert s.mrr == pytest.approx((1 + 0.5 + 0.1) / 4)


def test_load_queries_refuses_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "q.tsv"
    path.write_text("category\tquery\texpected\tnote\nlay\theart attack\tI21\n", encoding="utf-8")
    with pytest.raises(ValueError, match="4 tab-separated"):
        rel.load_queries(path)
    path.write_text(
        "category\tquery\texpected\tnote\nfun\theart attack\tI21*\t\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="unknown category"):
        rel.load_queries(path)


def _stub_engine(query: str) -> list[tuple[str, str]]:
    answers = {"heart attack": [("I21.9", "ICD-10-CM")], "epidural adhesions": [("62263", "CPT")]}
    return answers.get(query, [])


def test_run_and_summarise_with_a_stub_engine() -> None:
    qs = [
        rel.Query("lay", "heart attack", (rel.parse_expected("I21*"),)),
        rel.Query("cpt", "epidural adhesions", (rel.parse_expected("62264"),)),
    ]
    outcomes, timing = rel.run_queries(qs, _stub_engine, None)
    assert [o.rank for o in outcomes] == [1, None]
    table = rel.summarise(outcomes)
    assert table["overall"]["ours"]["hit@1"] == 0.5
    assert table["lay"]["peer"] is None
    assert "ours_qps" in timing
    md = rel.markdown(table, with_peer=True)
    assert "| cpt | 1 | 0.0% | 0.0% | 0.000 | 0 | n/a" in md
    assert "'epidural adhesions'" in rel.misses_text(outcomes)


def test_heldout_is_skipped_without_shared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rel, "load_engine", lambda spec: _stub_engine)
    q = tmp_path / "q.tsv"
    q.write_text("category\tquery\texpected\tnote\nlay\theart attack\tI21*\t\n", encoding="utf-8")
    rc = rel.main(["--queries", str(q), "--no-peer", "--heldout", "5", "--shared", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "held-out skipped" in out
    assert "| lay | 1 | 100.0% |" in out


def test_heldout_pairs_from_the_official_indexes() -> None:
    shared = REPO_ROOT.parent / "shared"
    if not (shared / "eval").is_dir():
        pytest.skip("../shared/eval is absent, so the held-out indexes cannot be read")
    pairs = rel.heldout_pairs(shared, 20, 7)
    assert pairs == rel.heldout_pairs(shared, 20, 7)  # seeded: same sample every run
    for system, plist in pairs.items():
        assert len(plist) == 20
        for p in plist:
            assert p.query.strip() and p.system == system
            shapes = (
                (rel._CM_STEM, rel._CM_CODE) if system == rel.CM else (rel._PCS_STEM, rel._PCS_CODE)
            )
            assert any(rx.match(p.code) for rx in shapes), p


def test_heldout_counts_descendants_of_the_index_code() -> None:
    pairs = {
        "ICD-10-CM": [
            rel.Pair("ICD-10-CM", "heart attack", "I21"),  # category: I21.9 counts
            rel.Pair("ICD-10-CM", "epidural adhesions", "G96.1"),  # a CPT answer does not
        ]
    }
    table, timing, outcomes = rel.run_heldout(pairs, _stub_engine, None)
    assert [o.rank for o in outcomes] == [1, None]
    assert table["ICD-10-CM index"]["ours"]["hit@1"] == 0.5
    assert table["overall"]["peer"] is None
    assert "ours_qps" in timing


@pytest.mark.parametrize(
    ("term", "query"),
    [
        ("Calculus, calculi, calculous", "Calculus"),  # spelling variants dropped
        ("Fracture, traumatic", "Fracture traumatic"),  # a real qualifier stays
        ("Atresia, atretic (congenital)", "Atresia"),  # non-essential modifiers dropped
        ("basilar NEC", "basilar"),
    ],
)
def test_index_terms_become_typed_queries(term: str, query: str) -> None:
    assert rel._clean_term(term) == query


def test_generated_typo_variants_are_deterministic_one_edit_slips() -> None:
    assert rel.transposed("broken wrist") == "brkoen wrist"  # the example in issue 15
    assert rel.deleted("broken wrist") == "broen wrist"
    assert rel.transposed("flu") is None  # no word long enough to slip in
    lay = [q for q in rel.load_queries(QUERIES) if q.category == "lay"]
    first = rel.generate_variants(lay)
    assert first == rel.generate_variants(lay)  # same set on every run
    assert first and all(v.category == "lay-typo" for v in first)
    by_text = {q.text: q for q in lay}
    for v in first:
        source = by_text[v.note.removeprefix("typo of ")[1:-1]]
        assert v.expected == source.expected and v.text != source.text
        assert len(v.text) in (len(source.text), len(source.text) - 1)


def test_multicode_rows_need_every_code_in_order() -> None:
    e = (rel.parse_expected("E11.9"), rel.parse_expected("I10"))
    q = rel.Query("multicode", "E11.9 I10", e)
    assert rel.score_one(q, [("E11.9", rel.CM), ("I10", rel.CM)]) == 1
    assert rel.score_one(q, [("I10", rel.CM), ("E11.9", rel.CM)]) is None
    assert rel.score_one(q, [("E11.9", rel.CM)]) is None
