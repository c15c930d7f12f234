"""Checks on the hand-written HCPCS Level II pages in ``content/hcpcs/*.toml``.

Until the build attaches these pages to the HCPCS records, this is what holds them to the rules:
every page's code is real and current in the vendored January 2026 CMS file, each page carries
exactly the sections that fit its kind (see ``content/hcpcs/README.md``), and the text follows the
same content rules as the CPT pages.
"""

from __future__ import annotations

import re
import sys
import tomllib
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from .cases import each

REPO_ROOT = Path(__file__).parents[1]
CONTENT_DIR = REPO_ROOT / "content" / "hcpcs"
HCPCS_ZIP = REPO_ROOT / "data" / "sources" / "hcpcs_2026_jan" / "january-2026-alpha-numeric-hcpcs-file.zip"

try:
    from codelookup.sections import PAGE_SLUGS
except ModuleNotFoundError:  # running from a checkout without the package installed
    sys.path.insert(0, str(REPO_ROOT / "src"))
    from codelookup.sections import PAGE_SLUGS

MIN_TOTAL_PAGES = 60
MAX_TITLE_CHARS = 90
MIN_TEXT_CHARS = 40
MIN_LIST_ITEMS = 2
MIN_ITEM_CHARS = 10
MIN_STEPS = 3
MIN_REASON_CHARS = 15
# A sentence shared by a handful of closely related pages is fine; beyond this it is boilerplate.
MAX_PAGES_PER_SENTENCE = 6
CPT_CONTENT_DIR = REPO_ROOT / "content" / "cpt"

# The one place (with the README table) that says which model-page sections a kind leaves out.
OMITTED_BY_KIND: dict[str, frozenset[str]] = {
    "service": frozenset(),
    "drug": frozenset({"recovery"}),
    "equipment": frozenset({"setting", "personnel", "recovery"}),
    "supply": frozenset({"duration", "setting", "personnel", "recovery"}),
    "transport": frozenset({"recovery"}),
}
TEXT_SLUGS = frozenset(
    {"name", "summary", "purpose", "duration", "setting", "medical_policies", "health_plan_policies"}
)
STEP_SLUGS = frozenset({"procedure_description"})
HCPCS_RE = re.compile(r"^[A-V]\d{4}$")
SIMILAR_RE = re.compile(r"^(\d{4}[0-9FTU]|[A-V]\d{4})$")
# No links, no coverage-document numbers, no unsourced percentages, no placeholders.
FORBIDDEN_RE = re.compile(r"https?://|www\.|\b(?:D?L|A)\d{5}\b|\bTBD\b|\bTODO\b|\blorem\b|\.\.\.|…", re.IGNORECASE)
PERCENT_RE = re.compile(r"\d\s*(?:%|percent\b)", re.IGNORECASE)
# A percentage must name who measured it in the same sentence (same rule as the CPT lint).
SOURCE_RE = re.compile(r"\b(?:according to|CDC|CMS|FDA|USPSTF|Task Force|study|trial|guideline)\b", re.IGNORECASE)
GENERIC_REASON_RE = re.compile(r"same family|similar wording|similar code|related code|see also", re.IGNORECASE)
SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+")


def _content_files() -> list[Path]:
    return sorted(CONTENT_DIR.glob("*.toml"))


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _all_pages() -> list[tuple[str, str, dict[str, Any]]]:
    """Every ``[[codes]]`` entry with its file name and its family's kind."""
    pages: list[tuple[str, str, dict[str, Any]]] = []
    for path in _content_files():
        try:
            doc = _load(path)
        except tomllib.TOMLDecodeError:
            continue  # reported by test_every_file_parses_with_family_kind_and_codes
        kind = str(doc.get("family", {}).get("kind", ""))
        for page in doc.get("codes", []):
            pages.append((path.name, kind, page))
    return pages


PAGES = _all_pages()
PAGE_IDS = [f"{name}:{page.get('code', '?')}" for name, _, page in PAGES]


@cache
def _cpt_pages() -> frozenset[str]:
    """CPT codes that have a plain-language page, so a similar CPT code links somewhere."""
    codes: set[str] = set()
    for path in CPT_CONTENT_DIR.glob("*.toml"):
        codes.update(str(page.get("code")) for page in _load(path).get("codes", []))
    return frozenset(codes)


@cache
def _hcpcs_terminations() -> dict[str, str]:
    """Code -> termination date ('' when current) from the vendored CMS fixed-width file.

    Columns per the CMS record layout: code 1-5, record id 11 (3 = first line of a code),
    termination date 285-292.
    """
    with zipfile.ZipFile(HCPCS_ZIP) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".txt") and "ANWEB" in n)
        text = archive.read(name).decode("latin-1")
    result: dict[str, str] = {}
    for line in text.splitlines():
        if len(line) > 11 and line[10] == "3":
            result[line[0:5].strip()] = line[284:292].strip()
    return result


def _strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings_in(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings_in(item)]
    return []


def test_vendored_file_is_read() -> None:
    """Guards the column offsets: known current and known terminated codes come out right."""
    table = _hcpcs_terminations()
    assert len(table) > 5000
    assert table["G0438"] == ""
    assert table["J0135"] != "", "adalimumab J0135 was terminated at the end of 2024"


def test_content_directory_has_files() -> None:
    assert _content_files(), f"no HCPCS content files in {CONTENT_DIR}"


@pytest.mark.parametrize("path", _content_files(), ids=lambda p: p.name)
def test_every_file_parses_with_family_kind_and_codes(path: Path) -> None:
    doc = _load(path)
    family = doc.get("family")
    assert isinstance(family, dict), "missing [family] table"
    assert isinstance(family.get("id"), str) and family["id"].strip(), "family.id missing"
    assert isinstance(family.get("title"), str) and family["title"].strip(), "family.title missing"
    assert family.get("kind") in OMITTED_BY_KIND, f"family.kind must be one of {sorted(OMITTED_BY_KIND)}"
    assert isinstance(doc.get("codes"), list) and doc["codes"], "no [[codes]] entries"


def test_family_ids_and_codes_are_unique() -> None:
    ids = Counter(_load(p)["family"]["id"] for p in _content_files())
    assert not [i for i, n in ids.items() if n > 1], f"duplicate family ids: {ids}"
    codes = Counter(str(page.get("code")) for _, _, page in PAGES)
    assert not [c for c, n in codes.items() if n > 1], "a code has more than one page"


@each(PAGES, PAGE_IDS)
def test_code_exists_and_is_current_in_the_2026_file(name: str, kind: str, page: dict[str, Any]) -> None:
    code = str(page.get("code", ""))
    assert HCPCS_RE.match(code), f"not a HCPCS Level II code: {code!r}"
    table = _hcpcs_terminations()
    assert code in table, f"{code} is not in the January 2026 HCPCS file"
    assert table[code] == "", f"{code} was terminated on {table[code]}"


@each(PAGES, PAGE_IDS)
def test_title_and_keywords(name: str, kind: str, page: dict[str, Any]) -> None:
    title = page.get("title")
    assert isinstance(title, str) and title.strip(), "title missing"
    assert len(title) <= MAX_TITLE_CHARS, f"title is {len(title)} chars"
    keywords = page.get("keywords")
    assert isinstance(keywords, list) and keywords and all(isinstance(k, str) and k.strip() for k in keywords)


@each(PAGES, PAGE_IDS)
def test_sections_fit_the_kind_and_are_substantive(name: str, kind: str, page: dict[str, Any]) -> None:
    sections = page.get("sections")
    assert isinstance(sections, dict), "[codes.sections] missing"
    omitted = OMITTED_BY_KIND[kind]
    required = [slug for slug in PAGE_SLUGS if slug not in omitted]
    missing = [slug for slug in required if slug not in sections]
    assert not missing, f"missing sections for a {kind}: {missing}"
    extra = sorted(omitted & set(sections))
    assert not extra, f"sections that do not apply to a {kind}: {extra}"
    for slug in required:
        value = sections[slug]
        if slug in TEXT_SLUGS:
            assert isinstance(value, str) and len(value.strip()) >= MIN_TEXT_CHARS, f"{slug} too short"
            continue
        minimum = MIN_STEPS if slug in STEP_SLUGS else MIN_LIST_ITEMS
        assert isinstance(value, list) and len(value) >= minimum, f"{slug} needs {minimum} items"
        for item in value:
            assert isinstance(item, str) and len(item.strip()) >= MIN_ITEM_CHARS, f"{slug} item too short: {item!r}"


@each(PAGES, PAGE_IDS)
def test_similar_codes_are_code_shaped_with_reasons(name: str, kind: str, page: dict[str, Any]) -> None:
    similar = page.get("sections", {}).get("similar_codes")
    assert isinstance(similar, list) and similar, "similar_codes missing"
    reasons: set[str] = set()
    for entry in similar:
        assert set(entry) == {"code", "reason"}, f"bad entry {entry!r}"
        code, reason = entry["code"], entry["reason"].strip()
        assert SIMILAR_RE.match(code), f"odd similar code {code!r}"
        assert code != page.get("code"), "a page lists itself as similar"
        if HCPCS_RE.match(code):
            assert _hcpcs_terminations().get(code) == "", f"similar code {code} is not a current HCPCS code"
        else:
            assert code in _cpt_pages(), f"similar CPT code {code} has no page in content/cpt"
        assert len(reason) >= MIN_REASON_CHARS, f"reason too short to say why: {entry!r}"
        assert not GENERIC_REASON_RE.search(reason), f"generic reason: {entry!r}"
        assert reason.lower() not in reasons, f"two similar codes share the reason {reason!r}"
        reasons.add(reason.lower())


@each(PAGES, PAGE_IDS)
def test_no_links_document_numbers_percentages_or_placeholders(name: str, kind: str, page: dict[str, Any]) -> None:
    for text in _strings_in(page):
        assert not FORBIDDEN_RE.search(text), f"forbidden text in {text!r}"
        for sentence in SENTENCE_SPLIT_RE.split(text):
            if PERCENT_RE.search(sentence):
                assert SOURCE_RE.search(sentence), f"percentage without a named source: {sentence!r}"


def test_no_sentence_repeated_across_many_pages() -> None:
    """Boilerplate repeated on many pages tells the reader nothing about the code in front of them."""
    where: dict[str, set[str]] = {}
    for _, _, page in PAGES:
        sections = {k: v for k, v in page.get("sections", {}).items() if k != "similar_codes"}
        for text in _strings_in(sections):
            for sentence in SENTENCE_SPLIT_RE.split(text.strip()):
                if len(sentence) >= 15:
                    where.setdefault(sentence.lower(), set()).add(str(page["code"]))
    repeated = {s: sorted(c) for s, c in where.items() if len(c) > MAX_PAGES_PER_SENTENCE}
    assert not repeated, f"sentences on more than {MAX_PAGES_PER_SENTENCE} pages: {repeated}"


@pytest.mark.parametrize(
    "sentence",
    ["No recovery needed.", "No recovery is needed.", "An anesthesiologist or nurse anesthetist."],
)
def test_generic_filler_sentences_are_absent(sentence: str) -> None:
    """The filler the CPT review flagged must not reappear on the HCPCS pages either."""
    pages = [str(page["code"]) for _, _, page in PAGES if sentence in _strings_in(page.get("sections", {}))]
    assert not pages, f"{sentence!r} on {pages}"


def test_total_page_count_reaches_target() -> None:
    assert len(PAGES) >= MIN_TOTAL_PAGES, f"{len(PAGES)} HCPCS pages, need {MIN_TOTAL_PAGES}"


@cache
def _hcpcs_long_descriptions() -> dict[str, str]:
    """Code -> official long description (record id 3 plus continuation lines, columns 12-91)."""
    with zipfile.ZipFile(HCPCS_ZIP) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".txt") and "ANWEB" in n)
        text = archive.read(name).decode("latin-1")
    result: dict[str, str] = {}
    for line in text.splitlines():
        if len(line) > 11 and line[10] in "34":
            code = line[0:5].strip()
            result[code] = (result.get(code, "") + " " + line[11:91].strip()).strip()
    return result


DOSE_RE = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(?:mg|mcg|units?|cc|ml)\b", re.IGNORECASE)


DRUG_PAGES = [p for p in PAGES if p[1] == "drug"]
DRUG_IDS = [i for i, p in zip(PAGE_IDS, PAGES, strict=True) if p[1] == "drug"]


@pytest.mark.parametrize(("name", "kind", "page"), DRUG_PAGES, ids=DRUG_IDS)
def test_drug_title_carries_the_official_billing_unit(name: str, kind: str, page: dict[str, Any]) -> None:
    """A J-code is billed in the dose unit CMS wrote into it; the title must carry that number."""
    doses = DOSE_RE.findall(_hcpcs_long_descriptions().get(str(page["code"]), ""))
    if not doses:
        pytest.skip("the official description has no numeric dose unit (for example 'per dose')")
    assert doses[-1] in str(page["title"]), f"{page['code']}: CMS unit {doses[-1]!r} not in {page['title']!r}"


def test_initial_wellness_visit_is_once_per_lifetime_and_subsequent_is_yearly() -> None:
    """G0438 is the first annual wellness visit (once in a lifetime); G0439 is every later one."""
    by_code = {str(page["code"]): page for _, _, page in PAGES}
    g0438 = " ".join(_strings_in(by_code["G0438"]["sections"]))
    assert "once in a lifetime" in g0438 and "G0439" in g0438
    assert not by_code["G0438"]["sections"]["summary"].startswith("A yearly")
    assert "12 months" in by_code["G0439"]["sections"]["medical_policies"]
