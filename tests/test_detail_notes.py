"""The coder-grade ICD-10-CM page: every note of every level, checked against simple_icd_10_cm.

simple_icd_10_cm exposes each level's own notes (chapter, block, category, subcategory, code);
the page must carry all of them, each with the level it comes from, and show them.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from codelookup.cmnotes import flat_codes
from codelookup.page import plain_page


class _Lazy:
    """simple_icd_10_cm, imported (or the test skipped) on first use: importing it parses the
    whole tabular (1.5 s), which every xdist worker would pay at collection."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # pytest's collection probes modules' names for fixtures
            raise AttributeError(name)
        return getattr(pytest.importorskip("simple_icd_10_cm"), name)


scm = _Lazy()

LISTS = {"excludes1": "get_excludes1", "excludes2": "get_excludes2", "includes": "get_includes"}
STRINGS = {
    "use_additional_code": "get_use_additional_code",
    "code_first": "get_code_first",
    "code_also": "get_code_also",
    "notes": "get_notes",
}


def norm(text: str) -> str:
    return " ".join(text.split())


def expected_notes(code: str) -> dict[tuple[str, str], list[str]]:
    """(section, source code) -> the official notes of that level, from simple_icd_10_cm."""
    out: dict[tuple[str, str], list[str]] = {}
    seen: set[str] = set()
    levels = [(code, False)]
    for anc in scm.get_ancestors(code):
        # a one-category block (B10) appears twice: category first, then the block
        levels.append((anc, anc in seen))
        seen.add(anc)
    for name, is_block in levels:
        source = f"{name}-{name}" if is_block else name
        for slug, getter in LISTS.items():
            items = [norm(x) for x in getattr(scm, getter)(name, prioritize_blocks=is_block)]
            if items:
                out[(slug, source)] = items
        for slug, getter in STRINGS.items():
            text = getattr(scm, getter)(name, prioritize_blocks=is_block)
            if text:
                out[(slug, source)] = [norm(x) for x in text.split("\n") if norm(x)]
        if name == code:
            terms = [norm(x) for x in scm.get_inclusion_term(name)]
            if terms:
                out[("inclusion_terms", source)] = terms
    return out


def page_notes(sections: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}

    def flat(note: dict[str, Any]) -> list[str]:
        return [note["text"], *(t for item in note.get("items", ()) for t in flat(item))]

    for slug in ("includes", "inclusion_terms", "excludes1", "excludes2", "code_first", "use_additional_code",
                 "code_also", "notes"):  # fmt: skip
        for note in sections.get(slug) or ():
            assert note["level"] in ("chapter", "block", "category", "subcategory", "code")
            out.setdefault((slug, note["source"]), []).extend(flat(note))
    return out


def test_random_sample_shows_every_note_of_every_level(lib: Any) -> None:
    codes = [c for c in scm.get_all_codes(with_dots=True) if not scm.is_chapter_or_block(c)]
    sample = [*random.Random(16).sample(codes, 200), "S72.001B", "E11.9", "E08.9", "I10", "B10.01"]
    levels_seen: set[str] = set()
    for code in sample:
        detail = lib.details.lookup(code, ["ICD-10-CM"], by_wording=False)[0]
        mine = page_notes(dict(detail.sections))
        wanted = expected_notes(code)
        for key, texts in wanted.items():
            got = mine.get(key, [])
            if key[0] == "notes":  # the page adds 7th-character notes and H54's table to <notes>
                assert all(t in got for t in texts), (code, key, texts, got)
            else:
                assert got == texts, (code, key)
        assert {k for k in mine if k[0] != "notes"} <= set(wanted), (code, set(mine) - set(wanted))
        page = norm(plain_page(detail, None, 100))
        slugs = LISTS.keys() | STRINGS.keys()
        levels = {n["source"]: n["level"] for slug in slugs for n in detail.sections.get(slug, ())}
        for (_, source), texts in wanted.items():
            for text in texts:
                assert text in page, (code, text)
            if source != code and source in levels:
                assert f"from {levels[source]} {source}" in page, (code, source)
                levels_seen.add(levels[source])
    assert levels_seen == {"chapter", "block", "category", "subcategory"}


def test_block_and_chapter_notes_with_source(lib: Any) -> None:
    sections = lib.details.lookup("E08.9", by_wording=False)[0].sections
    chapter = [n for n in sections["excludes1"] if n["level"] == "chapter"]
    assert chapter and chapter[0]["source"] == "4"
    notes = [n["text"] for n in lib.details.lookup("S72.001B", by_wording=False)[0].sections["notes"]]
    assert "A fracture not indicated as open or closed should be coded to closed" in notes


def test_ranges_expand_to_every_category(lib: Any) -> None:
    sections = lib.details.lookup("I10", by_wording=False)[0].sections
    note = next(n for n in sections["excludes1"] if "O10-O11, O13-O16" in n["text"])
    assert flat_codes(note) == ["O10", "O11", "O13", "O14", "O15", "O16"]
    refs = {r["code"]: r for r in sections["cross_references"]}
    assert refs["O13-O16"]["range"] == ["O13", "O14", "O15", "O16"]
    e089 = lib.details.lookup("E08.9", by_wording=False)[0].sections
    lead = e089["code_first"][0]
    c00 = next(r for n in lead["items"] for r in n.get("ranges", ()) if r["range"] == "C00-C96")
    assert c00["codes"][0] == "C00" and c00["codes"][-1] == "C96" and "C50" in c00["codes"] and len(c00["codes"]) > 80
    page = plain_page(lib.details.lookup("I10", by_wording=False)[0], ["excludes1"], 100)
    assert "O13-O16: 4 categories" in page and "O14" not in page.replace("O13-O16", "")


def test_lead_in_notes_are_nested(lib: Any) -> None:
    sections = lib.details.lookup("E11.9", by_wording=False)[0].sections
    (lead,) = [n for n in sections["use_additional_code"] if n["text"] == "code to identify control using:"]
    assert lead["source"] == "E11" and lead["level"] == "category"
    assert [i["text"] for i in lead["items"]][:2] == [
        "injectable non-insulin antidiabetic drugs (Z79.85)",
        "insulin (Z79.4)",
    ]
    page = plain_page(lib.details.lookup("E11.9", by_wording=False)[0], ["use_additional_code"], 100)
    assert "applies from" not in page
    assert page.count("from category E11") == 1
    assert "\n        - insulin (Z79.4)" in page  # indented under its lead-in


def test_seventh_character_full_wording(lib: Any) -> None:
    sev = lib.details.lookup("S72.001B", by_wording=False)[0].sections["seventh_characters"]
    assert sev["B"] == "initial encounter for open fracture type I or II / initial encounter for open fracture NOS"


def test_show_resolves_missing_placeholder(lib: Any, runner: Any) -> None:
    from codelookup.cli import app

    (detail,) = lib.lookup_all("W21.89A")
    assert detail.record.code == "W21.89XA" and detail.record.extra["resolved_from"] == "W21.89A"
    result = runner.invoke(app, ["show", "W21.89A", "--format", "plain"])
    assert result.exit_code == 0 and result.stdout.startswith("W21.89XA")
    assert "X placeholders" in result.stdout


def test_missing_requested_section_is_said(runner: Any) -> None:
    from codelookup.cli import app

    result = runner.invoke(app, ["show", "E11.9", "--section", "code first", "--format", "plain"])
    assert result.exit_code == 0
    assert "E11.9 has no Code First note." in result.stdout


def test_manifestation_code_says_never_first(lib: Any) -> None:
    sections = lib.details.lookup("G63", by_wording=False)[0].sections
    assert "never listed first" in sections["manifestation"]
    assert "E85" in sections["manifestation"] and "C00-D49" in sections["manifestation"]
    assert "manifestation" not in lib.details.lookup("E11.9", by_wording=False)[0].sections


def test_web_page_groups_and_nests_notes(lib: Any) -> None:
    from codelookup.web.render import code_page

    detail = lib.details.lookup("E11.9", by_wording=False)[0]
    html = code_page({"records": [detail.as_dict()]}, (), [])
    assert "from category E11 (Type 2 diabetes mellitus)" in html
    assert "<li>code to identify control using:<ul><li>injectable non-insulin" in html
    assert "E11.9 is a non-CC" in html
    assert "&#x27;level&#x27;" not in html and "source_title" not in html  # no raw note objects


def test_a_block_label_names_its_range_once() -> None:
    """It read "from block S70-S79 (Injuries to the hip and thigh (S70-S79))"."""
    from codelookup.page import note_groups

    block = {
        "text": "x",
        "level": "block",
        "source": "S70-S79",
        "source_title": "Injuries to the hip and thigh (S70-S79)",
    }
    chapter = {"text": "y", "level": "chapter", "source": "19", "source_title": "Injury, poisoning (S00-T88)"}
    labels = [label for label, _ in note_groups([block, chapter], "S72.001B")]
    assert labels == [
        "from block S70-S79 (Injuries to the hip and thigh)",
        "from chapter 19 (Injury, poisoning (S00-T88))",
    ]


def test_the_index_stores_the_categories_the_notes_expand_to(lib: Any) -> None:
    """The stored list is what the parent-index query finds, and ranges expand the same with either."""
    from codelookup.cmnotes import CATEGORIES_SQL, SYSTEM, NoteResolver, categories_blob

    queried = [r[0] for r in lib.con.execute(CATEGORIES_SQL, (SYSTEM,) * 3)]
    stored = bytes(lib.con.execute("SELECT data FROM blob WHERE name=?", (categories_blob(SYSTEM),)).fetchone()[0])
    assert stored.decode().split("\n") == queried and len(queried) > 1900
    assert NoteResolver(lib.con).expand("E08", "E13") == ["E08", "E09", "E10", "E11", "E13"]


def test_prefetched_note_codes_resolve_as_one_by_one(lib: Any) -> None:
    from codelookup.cmnotes import NoteResolver

    texts = ["diabetes (E08-E13)", "code first E11.9, I10 and E11.621; not Z99.999 or E11.-", "ZZZ", "T39.1X1A"]
    names = ["E11.9", "I10", "E11.621", "Z99.999", "E11", "T39.1X1A", "e11.9"]
    batch = NoteResolver(lib.con)
    batch.prefetch(texts)
    single = NoteResolver(lib.con)
    assert [batch.code(n) for n in names] == [single.code(n) for n in names]
    assert batch.code("E11.621") == "E11.621" and batch.code("Z99.999") is None
