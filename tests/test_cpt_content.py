"""Checks on the hand-written CPT pages in ``content/cpt/*.toml``.

The pages are written by several people in parallel and merged into the catalogue by the build,
so these tests are the one place that holds every file to the same shape and to the rules that
keep us clear of AMA descriptor text and of half-finished pages.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .cases import each

REPO_ROOT = Path(__file__).parents[1]
CONTENT_DIR = REPO_ROOT / "content" / "cpt"

try:
    from codelookup.sections import PAGE_SLUGS
except ModuleNotFoundError:  # running from a checkout without the package installed
    sys.path.insert(0, str(REPO_ROOT / "src"))
    from codelookup.sections import PAGE_SLUGS

MIN_TOTAL_PAGES = 150
MAX_TITLE_CHARS = 90
MIN_TEXT_CHARS = 40
MIN_LIST_ITEMS = 2
MIN_ITEM_CHARS = 10
MIN_STEPS = 3

STEP_SLUGS = frozenset({"procedure_description"})
TEXT_SLUGS = frozenset(
    {
        "name",
        "summary",
        "purpose",
        "duration",
        "setting",
        "medical_policies",
        "health_plan_policies",
    }
)

# Placeholders and unfinished text that must never reach a page.
PLACEHOLDER_RE = re.compile(r"\bTBD\b|\bTODO\b|\blorem\b|\.\.\.|…|\bXXX\b", re.IGNORECASE)
# The AMA descriptor house style: "(eg, ...)" lists, semicolon-separated qualifiers and
# "each additional ..." add-on phrasing. Our titles are our own words, so none of these belong.
DESCRIPTOR_STYLE_RE = re.compile(r"\(eg,|;|\beach additional\b", re.IGNORECASE)
CODE_RE = re.compile(r"^\d{5}$")


def _content_files() -> list[Path]:
    return sorted(CONTENT_DIR.glob("*.toml"))


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _all_pages() -> list[tuple[str, dict[str, Any]]]:
    """Every ``[[codes]]`` entry with the file it came from, for parametrised tests."""
    pages: list[tuple[str, dict[str, Any]]] = []
    for path in _content_files():
        try:
            doc = _load(path)
        except tomllib.TOMLDecodeError:
            continue  # reported by test_every_file_parses
        for page in doc.get("codes", []):
            pages.append((path.name, page))
    return pages


PAGES = _all_pages()
PAGE_IDS = [f"{name}:{page.get('code', '?')}" for name, page in PAGES]


def _strings_in(value: Any) -> list[str]:
    """All strings inside a section value, so placeholder checks see nested text too."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings_in(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings_in(item)]
    return []


def test_content_directory_has_files() -> None:
    assert _content_files(), f"no CPT content files in {CONTENT_DIR}"


@pytest.mark.parametrize("path", _content_files(), ids=lambda p: p.name)
def test_every_file_parses_with_family_and_codes(path: Path) -> None:
    doc = _load(path)
    family = doc.get("family")
    assert isinstance(family, dict), "missing [family] table"
    assert isinstance(family.get("id"), str) and family["id"].strip(), "family.id missing"
    assert isinstance(family.get("title"), str) and family["title"].strip(), "family.title missing"
    codes = doc.get("codes")
    assert isinstance(codes, list) and codes, "no [[codes]] entries"


def test_family_ids_are_unique() -> None:
    ids = [_load(p).get("family", {}).get("id") for p in _content_files()]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"family ids used by more than one file: {dupes}"


def test_codes_are_unique_across_files() -> None:
    seen: dict[str, list[str]] = {}
    for name, page in PAGES:
        seen.setdefault(str(page.get("code")), []).append(name)
    dupes = {code: files for code, files in seen.items() if len(files) > 1}
    assert not dupes, f"codes with more than one page: {dupes}"


@each(PAGES, PAGE_IDS)
def test_code_is_five_digits(name: str, page: dict[str, Any]) -> None:
    assert CODE_RE.match(str(page.get("code", ""))), f"bad code {page.get('code')!r}"


@each(PAGES, PAGE_IDS)
def test_title_is_our_own_short_name(name: str, page: dict[str, Any]) -> None:
    title = page.get("title")
    assert isinstance(title, str) and title.strip(), "title missing"
    assert len(title) <= MAX_TITLE_CHARS, f"title is {len(title)} chars"
    assert not DESCRIPTOR_STYLE_RE.search(title), f"descriptor-style wording in title {title!r}"


@each(PAGES, PAGE_IDS)
def test_keywords_present(name: str, page: dict[str, Any]) -> None:
    keywords = page.get("keywords")
    assert isinstance(keywords, list) and keywords, "keywords missing"
    assert all(isinstance(k, str) and k.strip() for k in keywords), "empty keyword"


@each(PAGES, PAGE_IDS)
def test_every_page_section_present_and_substantive(name: str, page: dict[str, Any]) -> None:
    sections = page.get("sections")
    assert isinstance(sections, dict), "[codes.sections] missing"
    missing = [slug for slug in PAGE_SLUGS if slug not in sections]
    assert not missing, f"missing sections: {missing}"
    for slug in PAGE_SLUGS:
        value = sections[slug]
        if slug in TEXT_SLUGS:
            assert isinstance(value, str), f"{slug} should be text"
            assert len(value.strip()) >= MIN_TEXT_CHARS, f"{slug} is too short"
            continue
        assert isinstance(value, list), f"{slug} should be a list"
        minimum = MIN_STEPS if slug in STEP_SLUGS else MIN_LIST_ITEMS
        assert len(value) >= minimum, f"{slug} has {len(value)} items, need {minimum}"
        for item in value:
            assert isinstance(item, str), f"{slug} item should be text"
            assert len(item.strip()) >= MIN_ITEM_CHARS, f"{slug} item too short: {item!r}"


@each(PAGES, PAGE_IDS)
def test_similar_codes_have_code_and_reason(name: str, page: dict[str, Any]) -> None:
    similar = page.get("sections", {}).get("similar_codes")
    assert isinstance(similar, list) and similar, "similar_codes missing"
    for entry in similar:
        assert isinstance(entry, dict), f"similar_codes entry is not a table: {entry!r}"
        assert str(entry.get("code", "")).strip(), f"similar code without code: {entry!r}"
        assert str(entry.get("reason", "")).strip(), f"similar code without reason: {entry!r}"
        assert entry["code"] != page.get("code"), "a page lists itself as similar"


@each(PAGES, PAGE_IDS)
def test_no_placeholder_text(name: str, page: dict[str, Any]) -> None:
    for text in _strings_in(page):
        assert not PLACEHOLDER_RE.search(text), f"placeholder text: {text!r}"


@each(PAGES, PAGE_IDS)
def test_no_descriptor_example_lists_in_any_text(name: str, page: dict[str, Any]) -> None:
    """Example lists in the "(eg, ...)" form are the AMA descriptor style; our prose avoids them."""
    for text in _strings_in(page):
        assert "(eg," not in text.lower(), f"descriptor-style example list: {text!r}"


@each(PAGES, PAGE_IDS)
def test_similar_codes_look_like_codes(name: str, page: dict[str, Any]) -> None:
    """A typo in a similar code would render as a dead link, so hold them to the code shape."""
    for entry in page.get("sections", {}).get("similar_codes", []):
        code = str(entry.get("code", ""))
        assert re.match(r"^(\d{4}[0-9FTU]|[A-V]\d{4})$", code), f"odd similar code {code!r}"


def test_total_page_count_reaches_target() -> None:
    """Fails until every engineer's files are in; the project promises 150 pages."""
    assert len(PAGES) >= MIN_TOTAL_PAGES, f"{len(PAGES)} CPT pages, need {MIN_TOTAL_PAGES}"
