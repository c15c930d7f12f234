"""Search behaviour on the real bundled catalogue (not a fixture)."""

from __future__ import annotations

from typing import Any

import pytest

from codelookup.errors import NotFoundError, UsageError


def codes(lib: Any, query: str, **kw: Any) -> list[str]:
    return [h.code for h in lib.search(query, **kw).hits]


@pytest.mark.parametrize("query", ["e119", "E11.9", " E11.9 ", "e11.9", "E 11.9"])
def test_exact_code_in_any_form_ranks_first(lib: Any, query: str) -> None:
    hits = lib.search(query).hits
    assert hits[0].code == "E11.9"
    assert hits[0].match == "exact-code"


@pytest.mark.parametrize("code", ["0SRC0J9", "62264", "I10", "S72.001A", "Z00.00"])
def test_exact_codes_of_every_system(lib: Any, code: str) -> None:
    assert codes(lib, code.lower())[0] == code


def test_missing_placeholder_is_suggested(lib: Any) -> None:
    result = lib.search("W21.89A")
    assert result.hits[0].code == "W21.89XA"
    assert any("W21.89XA" in n for n in result.notes)


def test_code_prefix_lists_descendants_in_code_order(lib: Any) -> None:
    hits = lib.search("S72", limit=20).hits
    assert hits[0].code == "S72" and hits[0].match == "exact-code"
    rest = [h for h in hits[1:]]
    assert all(h.code.startswith("S72") and h.match == "code-prefix" for h in rest)


def test_pcs_table_prefix(lib: Any) -> None:
    hits = lib.search("0SR", limit=30).hits
    assert all(h.code.startswith("0SR") for h in hits)
    assert any(h.system == "ICD-10-PCS" and len(h.code) == 7 for h in hits)


def test_wildcards(lib: Any) -> None:
    star = codes(lib, "E11.6*", limit=50)
    assert star and all(c.startswith("E11.6") for c in star)
    assert "E11.621" in star
    qmark = codes(lib, "0SRC0?Z", limit=50)
    assert "0SRC0JZ" in qmark and all(len(c) == 7 and c.startswith("0SRC0") and c.endswith("Z") for c in qmark)


def test_ranges(lib: Any) -> None:
    cpt = codes(lib, "62263-62273", limit=50)
    assert cpt[0] == "62263" and "62270" in cpt and "62273" in cpt
    assert all("62263" <= c <= "62273" for c in cpt)
    cm = codes(lib, "E08-E13", limit=5000, systems=["ICD-10-CM"])
    assert "E11.9" in cm and "E13.9" in cm and "E14" not in cm
    assert all(c.split(".")[0][:3] <= "E13" for c in cm if c[0] == "E" and "-" not in c)


def test_same_string_in_two_systems_is_reported(lib: Any) -> None:
    result = lib.search("B20")
    systems = {h.system for h in result.hits if h.match == "exact-code"}
    assert systems == {"ICD-10-CM", "ICD-10-PCS"}
    assert any("several systems" in n for n in result.notes)


def test_words_any_order(lib: Any) -> None:
    a = codes(lib, "foot ulcer type 2 diabetes")
    b = codes(lib, "type 2 diabetes foot ulcer")
    assert "E11.621" in a[:3] and "E11.621" in b[:3]


def test_word_prefixes(lib: Any) -> None:
    hits = lib.search("fract femur neck", limit=10).hits
    assert hits and all("fracture" in h.title.lower() for h in hits)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("diabetis foot ulcer", "E11.621"),
        ("pnuemonia", "J18.9"),
        ("epidurl adhesions", "62264"),
        ("hypertenshion", "I10"),
        ("astma", "J45"),
    ],
)
def test_typos_are_corrected(lib: Any, query: str, expected: str) -> None:
    found = codes(lib, query, limit=10)
    assert any(c == expected or c.startswith(expected) for c in found), found


def test_exact_words_beat_corrections(lib: Any) -> None:
    hits = lib.search("pneumonia", limit=5).hits
    # the Alphabetic Index's 'Pneumonia → J18.9' path is exact too (issue 14): not a correction
    assert hits[0].match in ("title", "index") and hits[0].code == "J18.9"


@pytest.mark.parametrize(
    ("query", "prefixes"),
    [
        ("heart attack", ("I21",)),
        ("broken wrist", ("S52.5", "S52.6", "S62", "S52.9")),
        ("high blood pressure", ("I10",)),
        ("afib", ("I48",)),
        ("copd", ("J44",)),
        ("uti", ("N39.0",)),
        ("kidney stones", ("N20",)),
        ("c-section", ("59510", "10D00Z")),
        ("knee replacement", ("27447", "0SRC", "0SRD")),
        ("colonoscopy with polyp removal", ("45385",)),
        ("epidural adhesions", ("62263", "62264")),
    ],
)
def test_lay_language(lib: Any, query: str, prefixes: tuple[str, ...]) -> None:
    found = codes(lib, query, limit=10)
    assert any(c.startswith(prefixes) for c in found), (query, found)


def test_general_billable_code_first(lib: Any) -> None:
    found = codes(lib, "type 2 diabetes", limit=10)
    assert found.index("E11.9") < found.index("E11.65")
    heart = codes(lib, "acute myocardial infarction", limit=5)
    assert heart[0] == "I21.9"


def test_filters(lib: Any) -> None:
    hits = lib.search("knee replacement", systems=["cpt"]).hits
    assert hits and all(h.system == "CPT" for h in hits)
    hits = lib.search("diabetes", billable_only=True, limit=30).hits
    assert hits and all(h.billable for h in hits)
    assert len(lib.search("fracture", limit=3).hits) == 3


def test_match_tiers_are_reported(lib: Any) -> None:
    assert lib.search("E11.9").hits[0].match == "exact-code"
    assert lib.search("E11.6").hits[1].match == "code-prefix"
    assert lib.search("pneumonia unspecified organism").hits[0].match == "title"
    assert lib.search("pheochromocytoma").hits[0].match == "index"  # issue 14: the Alphabetic Index
    assert lib.search("pnuemonia").hits[0].match == "fuzzy"
    assert lib.search("heart attack").hits[0].match == "synonym"


def test_no_match_is_an_empty_result_with_suggestions(lib: Any) -> None:
    result = lib.search("qqqxzv")
    assert result == [] and not result and result.hits == ()
    error = lib.not_found(result)
    assert isinstance(error, NotFoundError) and error.exit_code == 1
    assert "E11.9" in lib.not_found(lib.search("E11.99")).suggestions


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x1b[31m"])
def test_empty_queries_are_usage_errors(lib: Any, bad: str) -> None:
    with pytest.raises(UsageError):
        lib.search(bad)


def test_unknown_system_is_usage_error(lib: Any) -> None:
    with pytest.raises(UsageError, match="unknown system"):
        lib.search("fracture", systems=["ICD-11"])
