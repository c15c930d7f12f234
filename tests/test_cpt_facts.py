"""Content lint and corrected facts for the hand-written CPT pages (``content/cpt/*.toml``).

``test_cpt_content.py`` checks the shape of every page. This file checks what the pages *say*:
the rules a reviewer would otherwise have to enforce by eye (no URLs, no coverage-document
numbers, no unsourced percentages, real similar codes with specific reasons, no boilerplate
repeated across many pages), and the facts that review found wrong once, so they stay fixed.
It reads only the repository (content files and the vendored HCPCS release), so it runs in CI.
"""

from __future__ import annotations

import re
import tomllib
import zipfile
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from .cases import each

REPO_ROOT = Path(__file__).parents[1]
CONTENT_DIR = REPO_ROOT / "content" / "cpt"
HCPCS_ZIP = REPO_ROOT / "data" / "sources" / "hcpcs_2026_jan" / "january-2026-alpha-numeric-hcpcs-file.zip"

# Sections of the model page, in its order; every page has every one of them.
MODEL_SECTIONS = (
    "name",
    "summary",
    "purpose",
    "indications",
    "preparation",
    "procedure_description",
    "duration",
    "setting",
    "personnel",
    "risks_and_complications",
    "benefits",
    "recovery",
    "alternatives",
    "patient_experience",
    "medical_policies",
    "health_plan_policies",
    "similar_codes",
)
MIN_SECTION_CHARS = 40
# A sentence may be shared by a handful of closely related pages (an add-on and its parent, the
# same test in two age bands); beyond this many pages it is boilerplate that says nothing specific.
MAX_PAGES_PER_SENTENCE = 6
MIN_REPEAT_CHECK_CHARS = 15
MIN_REASON_CHARS = 15

# Real CPT codes that pages may name as similar although they have no page here yet. Add a code
# only when you are sure it is a current CPT code; everything else must have a page.
KNOWN_CPT_WITHOUT_PAGE: frozenset[str] = frozenset()

URL_RE = re.compile(r"https?://|\bwww\.|\b[\w-]+\.(?:com|org|gov|net|edu)\b", re.IGNORECASE)
# Medicare local coverage determinations (L12345) and their articles (A12345), and "DL" drafts.
LCD_RE = re.compile(r"\b(?:D?L|A)\d{5}\b")
PERCENT_RE = re.compile(r"\d\s*(?:%|percent\b)", re.IGNORECASE)
# Naming who measured a number: an agency, a task force, a society, a named study or guideline.
SOURCE_RE = re.compile(
    r"\b(?:according to|CDC|Centers for Disease Control|USPSTF|Task Force|CMS|FDA|NIH|National Cancer"
    r" Institute|American (?:College|Academy|Heart|Cancer|Diabetes|Urological|Society)|ACOG|Society"
    r"|study|studies|trial|guideline)\b",
    re.IGNORECASE,
)
GENERIC_REASON_RE = re.compile(
    r"same family|similar wording|similar code|related code|see also|elsewhere in (?:the )?CPT"
    r"|same (?:code )?(?:group|section|range)\b|^similar\b|^related\b",
    re.IGNORECASE,
)
CPT_SHAPE_RE = re.compile(r"^\d{4}[0-9FTU]$")
HCPCS_SHAPE_RE = re.compile(r"^[A-V]\d{4}$")
SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+")


def _pages() -> list[tuple[str, dict[str, Any]]]:
    pages: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(CONTENT_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
        pages.extend((path.name, page) for page in doc.get("codes", []))
    return pages


PAGES = _pages()
BY_CODE: dict[str, dict[str, Any]] = {str(p["code"]): p for _, p in PAGES}
PAGE_IDS = [f"{name}:{page.get('code')}" for name, page in PAGES]


def _texts(value: Any) -> list[str]:
    """Every prose string in a page (similar-code reasons included), for the text rules."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _texts(item)]
    if isinstance(value, dict):
        return [s for key, item in value.items() if key != "code" for s in _texts(item)]
    return []


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_SPLIT_RE.split(text.strip()) if s.strip()]


def _norm(sentence: str) -> str:
    return re.sub(r"\s+", " ", sentence.strip().lower())


@cache
def _hcpcs_codes() -> frozenset[str]:
    """Level II codes of the vendored January 2026 HCPCS release (code in columns 1-5)."""
    with zipfile.ZipFile(HCPCS_ZIP) as zf:
        name = next(n for n in zf.namelist() if n.lower().endswith(".txt") and "ANWEB" in n)
        text = zf.read(name).decode("latin-1")
    return frozenset(line[:5] for line in text.splitlines() if HCPCS_SHAPE_RE.match(line[:5]))


def _page(code: str) -> dict[str, Any]:
    assert code in BY_CODE, f"CPT {code} has no page"
    return BY_CODE[code]


# --- content lint -------------------------------------------------------------------------------


@each(PAGES, PAGE_IDS)
def test_every_model_section_present_and_at_least_40_chars(name: str, page: dict[str, Any]) -> None:
    sections = page.get("sections", {})
    for slug in MODEL_SECTIONS:
        assert slug in sections, f"missing section {slug}"
        text = " ".join(_texts(sections[slug]))
        assert len(text.strip()) >= MIN_SECTION_CHARS, f"section {slug} has under {MIN_SECTION_CHARS} characters"


@each(PAGES, PAGE_IDS)
def test_no_urls(name: str, page: dict[str, Any]) -> None:
    for text in [page.get("title", ""), *_texts(page.get("sections", {}))]:
        assert not URL_RE.search(text), f"URL or web address in: {text!r}"


@each(PAGES, PAGE_IDS)
def test_no_lcd_or_article_numbers(name: str, page: dict[str, Any]) -> None:
    """Coverage-document numbers change and are easy to get wrong; pages name documents in words."""
    for text in _texts(page.get("sections", {})):
        assert not LCD_RE.search(text), f"LCD or article number in: {text!r}"


@each(PAGES, PAGE_IDS)
def test_no_percentages_without_a_named_source(name: str, page: dict[str, Any]) -> None:
    for text in _texts(page.get("sections", {})):
        for sentence in _sentences(text):
            if PERCENT_RE.search(sentence):
                assert SOURCE_RE.search(sentence), f"percentage without a named source: {sentence!r}"


@each(PAGES, PAGE_IDS)
def test_similar_codes_are_real_and_reasons_specific(name: str, page: dict[str, Any]) -> None:
    reasons: set[str] = set()
    for entry in page.get("sections", {}).get("similar_codes", []):
        code, reason = str(entry.get("code", "")), str(entry.get("reason", "")).strip()
        if CPT_SHAPE_RE.match(code):
            known = code in BY_CODE or code in KNOWN_CPT_WITHOUT_PAGE
            assert known, f"similar code {code} has no page and is not a known real CPT code"
        elif HCPCS_SHAPE_RE.match(code):
            assert code in _hcpcs_codes(), f"similar code {code} is not in the January 2026 HCPCS release"
        else:
            pytest.fail(f"similar code {code!r} is neither CPT nor HCPCS shaped")
        assert len(reason) >= MIN_REASON_CHARS, f"reason for {code} too short to say why: {reason!r}"
        assert not GENERIC_REASON_RE.search(reason), f"generic reason for {code}: {reason!r}"
        assert reason.lower() not in reasons, f"two similar codes share the reason {reason!r}"
        reasons.add(reason.lower())


def test_no_sentence_repeated_across_many_pages() -> None:
    """Boilerplate ("No recovery needed.") tells the reader nothing about the code in front of them."""
    where: dict[str, set[str]] = defaultdict(set)
    for _, page in PAGES:
        sections = {k: v for k, v in page.get("sections", {}).items() if k != "similar_codes"}
        for text in _texts(sections):
            for sentence in _sentences(text):
                if len(sentence) >= MIN_REPEAT_CHECK_CHARS:
                    where[_norm(sentence)].add(str(page["code"]))
    repeated = {s: sorted(codes) for s, codes in where.items() if len(codes) > MAX_PAGES_PER_SENTENCE}
    assert not repeated, f"sentences on more than {MAX_PAGES_PER_SENTENCE} pages: {repeated}"


def test_every_cpt_similar_code_has_a_page() -> None:
    """Similar codes link to pages; a CPT code named there should be one the reader can open."""
    missing = sorted(
        {
            str(entry["code"])
            for _, page in PAGES
            for entry in page.get("sections", {}).get("similar_codes", [])
            if CPT_SHAPE_RE.match(str(entry["code"])) and str(entry["code"]) not in BY_CODE
        }
        - KNOWN_CPT_WITHOUT_PAGE
    )
    assert not missing, f"similar CPT codes without a page: {missing}"


# --- corrected facts ----------------------------------------------------------------------------

EPIDURAL_WITH_IMAGING = ("62321", "62323", "62325", "62327")
EPIDURAL_WITHOUT_IMAGING = ("62270", "62272", "62320", "62322", "62324", "62326")


@pytest.mark.parametrize("code", EPIDURAL_WITH_IMAGING)
def test_epidural_imaging_guidance_is_fluoroscopy_or_ct_not_ultrasound(code: str) -> None:
    """CPT's imaging guidance for these codes is fluoroscopy or CT; ultrasound does not qualify."""
    page = _page(code)
    name, summary = page["sections"]["name"], page["sections"]["summary"]
    assert "ultrasound" not in name.lower() and "ultrasound" not in page["title"].lower()
    assert re.search(r"fluoroscop|\bCT\b", name + " " + summary)
    for sentence in _sentences(summary):
        if "ultrasound" in sentence.lower():
            assert "without-imaging" in sentence, f"{code} presents ultrasound as imaging guidance: {sentence!r}"
    similar = " ".join(e["reason"] for e in page["sections"]["similar_codes"])
    assert "or ultrasound" not in similar


@pytest.mark.parametrize("code", EPIDURAL_WITHOUT_IMAGING)
def test_ultrasound_guided_placement_uses_the_without_imaging_code(code: str) -> None:
    summary = _page(code)["sections"]["summary"]
    mentions = [s for s in _sentences(summary) if "ultrasound" in s.lower()]
    assert mentions, f"{code} should say how an ultrasound-guided placement is reported"
    for sentence in mentions:
        assert "this code" in sentence.lower(), f"{code} implies ultrasound changes the code: {sentence!r}"
        assert re.search(r"fluoroscopy|\bCT\b", sentence)


def test_no_epidural_page_lists_ultrasound_as_imaging_guidance() -> None:
    for code in (*EPIDURAL_WITH_IMAGING, *EPIDURAL_WITHOUT_IMAGING, "62328", "62329"):
        for text in _texts(_page(code)):
            assert not re.search(r"(?:X-ray|CT),? (?:CT )?or ultrasound", text), f"{code}: {text!r}"


@pytest.mark.parametrize("code", ["64490", "64491", "64492", "64493", "64494", "64495"])
def test_facet_levels_are_joints_not_nerves(code: str) -> None:
    """One facet level is one joint, both medial-branch nerves included; no second charge per nerve."""
    for text in _texts(_page(code)):
        assert not re.search(r"nerve levels?\b|nerve supply of two joints|two levels to cover", text), (
            f"{code} counts nerves as levels: {text!r}"
        )


@pytest.mark.parametrize(("code", "slug"), [("64491", "summary"), ("64494", "summary")])
def test_second_level_facet_add_on_means_a_second_joint(code: str, slug: str) -> None:
    text = _page(code)["sections"][slug]
    assert "one facet joint" in text and "different spinal level" in text


FACET_CODES = ("64490", "64491", "64492", "64493", "64494", "64495", "64633", "64634", "64635", "64636")


@pytest.mark.parametrize("code", FACET_CODES)
def test_facet_other_side_of_same_level_is_bilateral_not_another_level(code: str) -> None:
    """The codes are per level, one side; the other side of the same level takes a bilateral modifier."""
    page = _page(code)
    for text in _texts(page):
        assert not re.search(r"same joint on both sides|both sides without", text), f"{code}: {text!r}"
    assert "bilateral modifier" in page["sections"]["summary"] + page["sections"]["purpose"]


@pytest.mark.parametrize("code", ["64492", "64495"])
def test_third_level_facet_purpose_counts_joints(code: str) -> None:
    purpose = _page(code)["sections"]["purpose"]
    assert "counts as one level" in purpose and "third separate joint" in purpose


def test_29881_title_means_medial_or_lateral_meniscus() -> None:
    page = _page("29881")
    assert "medial or lateral" in page["title"]
    assert "one side" not in page["title"]


@pytest.mark.parametrize(
    "sentence",
    [
        "No recovery needed.",
        "No recovery time is needed.",
        "No recovery is needed.",
        "An anesthesiologist or nurse anesthetist.",
        "A radiologic technologist.",
    ],
)
def test_generic_filler_sentences_are_gone(sentence: str) -> None:
    users = [str(p["code"]) for _, p in PAGES if any(t.strip() == sentence for t in _texts(p["sections"]))]
    assert not users, f"{sentence!r} still used by {users}"


PREVENTIVE = [f"9938{i}" for i in range(1, 8)] + [f"9939{i}" for i in range(1, 8)]


def test_preventive_visit_pages_do_not_share_boilerplate() -> None:
    """The 14 checkup pages once shared nine sentences; now no sentence spans more than one half."""
    where: dict[str, set[str]] = defaultdict(set)
    for code in PREVENTIVE:
        for text in _texts({k: v for k, v in _page(code)["sections"].items() if k != "similar_codes"}):
            for sentence in _sentences(text):
                where[_norm(sentence)].add(code)
    shared = {s: len(c) for s, c in where.items() if len(c) > len(PREVENTIVE) // 2}
    assert not shared, f"sentences shared by most preventive pages: {shared}"


def test_skin_biopsy_add_ons_follow_the_method_hierarchy_not_billing_order() -> None:
    """With mixed biopsy methods CPT reports one first-spot code, incisional > punch > tangential."""
    policies = _page("11103")["sections"]["medical_policies"]
    assert "billed first" not in policies and "goes with the first tangential" not in policies
    assert re.search(r"incisional.*punch.*shave", policies)


def test_saturation_prostate_biopsy_includes_its_imaging_guidance() -> None:
    """55706 includes imaging guidance; 55700 does not (its guidance is coded separately)."""
    for text in _texts(_page("55706")):
        assert not re.search(r"guidance (?:is|are) billed separately|ultrasound guidance and each", text), text
    assert "included" in _page("55706")["sections"]["summary"]


def test_aaa_screening_ultrasound_is_not_called_a_hcpcs_level_ii_code() -> None:
    """Medicare's one-time AAA screening ultrasound has had its own CPT code since 2017."""
    for code, page in BY_CODE.items():
        for text in _texts(page):
            for sentence in _sentences(text):
                if "aneurysm" in sentence and "screening" in sentence:
                    assert "HCPCS" not in sentence, f"{code}: {sentence!r}"


def test_urine_pregnancy_test_is_billed_without_the_qw_modifier() -> None:
    policies = _page("81025")["sections"]["medical_policies"]
    assert "without the QW modifier" in policies


def test_93241_covers_more_than_48_hours_up_to_7_days() -> None:
    page = _page("93241")
    assert "more than 2" in page["title"] and "7 days" in page["title"]


# --- facts corrected in the accuracy review of the b-* pages -------------------------------------


def test_00851_is_tubal_ligation_or_transection_not_tube_removal() -> None:
    """00851 covers tying, cutting or blocking the tubes; removing the tubes is another operation."""
    page = _page("00851")
    assert "removal" not in page["title"].lower()
    assert "tied, cut or blocked" in page["sections"]["summary"]


# Vaccine products given by injection; only the oral rotavirus vaccines (90680, 90681) are drops.
INJECTED_VACCINES = ["90619", "90620", "90633", "90651", "90677", "90700", "90707", "90710", "90716", "90734"]


@pytest.mark.parametrize("code", INJECTED_VACCINES)
def test_injected_vaccines_are_not_described_as_drops(code: str) -> None:
    texts = " ".join(_texts(_page(code)["sections"])).lower()
    assert not re.search(r"\bdrops\b|\bby mouth\b", texts), f"{code} is an injected vaccine"


@pytest.mark.parametrize("code", ["90619", "90734"])
def test_menacwy_routine_schedule_is_two_doses(code: str) -> None:
    """MenACWY is one dose at 11 or 12 and a booster at 16, never a three-dose series."""
    texts = " ".join(_texts(_page(code)["sections"])).lower()
    assert "three-dose" not in texts and "three doses" not in texts
