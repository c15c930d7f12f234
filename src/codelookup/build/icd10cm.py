"""Turn an official ICD-10-CM tabular XML file into catalogue records.

The tabular XML does not list 7th-character codes explicitly: it declares the allowed 7th
characters once (``sevenChrDef``) on a category or subcategory, and the official code list
expands them on every leaf below. We repeat that expansion here so that the catalogue holds the
same set of codes as CDC's code list, with titles in the official "<leaf title>, <meaning>" form.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from codelookup.errors import CatalogueError

SYSTEM = "ICD-10-CM"

# XML element -> section slug (see codelookup.sections); each element holds <note> children.
_NOTE_ELEMENTS: dict[str, str] = {
    "includes": "includes",
    "inclusionTerm": "inclusion_terms",
    "excludes1": "excludes1",
    "excludes2": "excludes2",
    "codeFirst": "code_first",
    "useAdditionalCode": "use_additional_code",
    "codeAlso": "code_also",
    "notes": "notes",
}

# The one expansion exception the tabular states only in prose, under category S06:
# "7th characters D and S do not apply to codes in category S06 with 6th character 7 - death due
# to brain injury prior to regaining consciousness, or 8 - death due to other cause prior to
# regaining consciousness." Without it the expansion yields 76 codes the code list does not have.
_EXPANSION_EXCEPTIONS: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = (
    ("S06", frozenset({"7", "8"}), frozenset({"D", "S"})),
)


_KIND_COUNT_KEYS: tuple[tuple[str, str], ...] = (
    ("chapter", "chapters"),
    ("block", "blocks"),
    ("category", "categories"),
    ("subcategory", "subcategories"),
    ("code", "codes"),
)


def _text(element: ET.Element | None) -> str:
    """Collapse the XML's stray tabs and line breaks so titles and notes compare cleanly."""
    if element is None or element.text is None:
        return ""
    return " ".join(element.text.split())


def _notes(element: ET.Element) -> list[str]:
    return [t for t in (_text(n) for n in element.findall("note")) if t]


# A <note> inside sevenChrDef is the official alternate wording of the preceding character
# (S72 "B: initial encounter for open fracture type I or II / initial encounter for open fracture
# NOS"), which the printed tabular shows on the next line and simple_icd_10_cm joins with "/".
# The one exception is W08, where an inclusion term ("Fall from stool") slipped into the list.
_NOT_ALTERNATE_WORDING = frozenset({"Fall from stool"})
ALTERNATE_SEPARATOR = " / "


def _seventh_characters(element: ET.Element) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Return the declared 7th characters (full official wording), their short form, and notes.

    The short form (extension text only) is what CDC's code titles use, so generated titles keep
    it; the page shows the full wording, alternates included.
    """
    mapping: dict[str, str] = {}
    short: dict[str, str] = {}
    extra: list[str] = []
    last: str | None = None
    for child in element:
        if child.tag == "extension":
            last = child.get("char", "")
            mapping[last] = short[last] = _text(child)
        elif child.tag == "note" and _text(child):
            if last is not None and _text(child) not in _NOT_ALTERNATE_WORDING:
                mapping[last] += ALTERNATE_SEPARATOR + _text(child)
            else:
                extra.append("Listed among the 7th characters: " + _text(child))
    return mapping, short, extra


def _visual_impairment_rows(table: ET.Element) -> list[str]:
    """Flatten H54's table of visual impairment categories into note lines.

    The notes above it refer to "the table", so dropping it would leave them dangling. Column
    wording comes from the table's own heading row.
    """
    categories = table.findall("visCategory")
    if not categories:
        return []
    head = categories[0]
    title = _text(head.find("heading")) or "Category"
    max_head = _text(head.find("visRange/visMax/heading")) or "Maximum less than:"
    min_head = _text(head.find("visRange/visMin/heading")) or "Minimum equal to or better than:"
    range_head = _text(head.find("visRange/heading"))
    rows: list[str] = []
    for category in categories[1:]:
        maxima = [_text(v) for v in category.findall("visRange/visMax/value")]
        minima = [_text(v) for v in category.findall("visRange/visMin/value")]
        parts = [f"{max_head} {', '.join(maxima)}"] if maxima else []
        if minima:
            parts.append(f"{min_head} {', '.join(minima)}")
        lead = f"{title} {_text(category.find('value'))}"
        if range_head:
            lead += f" ({range_head})"
        rows.append(f"{lead}: {'; '.join(parts)}")
    return rows


def _sections(element: ET.Element) -> tuple[dict[str, Any], dict[str, str] | None]:
    """Collect the official notes declared directly on one element (never inherited ones).

    The second value is the short 7th-character wording used in generated titles.
    """
    sections: dict[str, Any] = {}
    seventh: dict[str, str] | None = None
    short: dict[str, str] | None = None
    for child in element:
        slug = _NOTE_ELEMENTS.get(child.tag)
        if slug is not None:
            notes = _notes(child)
            if notes:
                sections.setdefault(slug, []).extend(notes)
        elif child.tag == "sevenChrNote":
            notes = _notes(child)
            if notes:
                sections.setdefault("notes", []).extend(notes)
        elif child.tag == "visualImpairment":
            rows = _visual_impairment_rows(child)
            if rows:
                sections.setdefault("notes", []).extend(rows)
        elif child.tag == "sevenChrDef":
            seventh, short, extra = _seventh_characters(child)
            if extra:
                sections.setdefault("notes", []).extend(extra)
    if seventh:
        sections["seventh_characters"] = seventh
    return sections, short or None


def _block_code(section_id: str) -> str:
    """Blocks are ranges; a one-category block (``B10``) becomes ``B10-B10`` to stay unique."""
    return section_id if "-" in section_id else f"{section_id}-{section_id}"


def _expansion_allowed(compact: str, char: str) -> bool:
    for category, sixth_chars, excluded in _EXPANSION_EXCEPTIONS:
        if compact.startswith(category) and compact[5] in sixth_chars and char in excluded:
            return False
    return True


def _record(
    code: str,
    title: str,
    kind: str,
    parent: str | None,
    billable: bool,
    chapter: str | None = None,
    block: str | None = None,
    sections: dict[str, Any] | None = None,
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "code": code,
        "system": SYSTEM,
        "title": title,
        "billable": billable,
        "kind": kind,
        "parent": parent,
    }
    if chapter is not None:
        rec["chapter"] = chapter
    if block is not None:
        rec["block"] = block
    if sections:
        rec["sections"] = sections
    return rec


def _walk_diag(
    element: ET.Element,
    parent: str,
    chapter: str,
    block: str,
    inherited_seventh: dict[str, str] | None,
) -> Iterator[dict[str, Any]]:
    """Yield a diag, its descendants depth-first, then its generated 7th-character codes."""
    code = _text(element.find("name"))
    title = _text(element.find("desc"))
    if not code or not title:
        raise CatalogueError(f"ICD-10-CM tabular: a <diag> under {parent} has no name or desc")
    sections, own_seventh = _sections(element)
    seventh = own_seventh or inherited_seventh
    children = element.findall("diag")
    expands = not children and bool(seventh)
    leaf = not children and not expands
    kind = "category" if len(code) == 3 else "code" if leaf else "subcategory"
    yield _record(code, title, kind, parent, leaf, chapter, block, sections)
    for child in children:
        yield from _walk_diag(child, code, chapter, block, seventh)
    if expands and seventh is not None:
        compact = code.replace(".", "").ljust(6, "X")
        for char, meaning in seventh.items():
            if not _expansion_allowed(compact, char):
                continue
            full = f"{compact[:3]}.{compact[3:]}{char}"
            yield _record(full, f"{title}, {meaning}", "code", code, True, chapter, block)


def iter_tabular(root: ET.Element) -> Iterator[dict[str, Any]]:
    """Yield every record in tabular order: chapter, its blocks, then their codes."""
    for chapter_el in root.findall("chapter"):
        chapter = _text(chapter_el.find("name"))
        sections, _ = _sections(chapter_el)
        yield _record(chapter, _text(chapter_el.find("desc")), "chapter", None, False, sections=sections)
        for block_el in chapter_el.findall("section"):
            block = _block_code(block_el.get("id", ""))
            sections, _ = _sections(block_el)
            yield _record(
                block,
                _text(block_el.find("desc")),
                "block",
                chapter,
                False,
                chapter,
                sections=sections,
            )
            for diag in block_el.findall("diag"):
                yield from _walk_diag(diag, block, chapter, block, None)


def _version(root: ET.Element) -> str:
    return _text(root.find("version"))


def count_kinds(records: list[dict[str, Any]]) -> dict[str, int]:
    """Counts that the provenance header publishes, so a reader can check them at a glance."""
    counts: dict[str, int] = {"records": len(records)}
    counts["billable"] = sum(1 for r in records if r["billable"])
    for kind, key in _KIND_COUNT_KEYS:
        counts[key] = sum(1 for r in records if r["kind"] == kind)
    counts["seventh_character_codes"] = sum(1 for r in records if r["kind"] == "code" and len(r["code"]) == 8)
    return counts


def parse_tabular(xml_path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Parse an official ICD-10-CM tabular XML into (system provenance, records).

    The provenance carries what the file itself can tell (version, counts); callers fill in the
    release wording, source and publisher they know from where the file came from.
    """
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise CatalogueError(f"cannot read ICD-10-CM tabular XML {xml_path}: {exc}") from exc
    if root.tag != "ICD10CM.tabular":
        raise CatalogueError(f"{xml_path} is not an ICD-10-CM tabular XML (root <{root.tag}>)")
    records = list(iter_tabular(root))
    system: dict[str, Any] = {
        "name": SYSTEM,
        "release": f"FY{_version(root)}",
        "source_file": xml_path.name,
        "publisher": "CDC National Center for Health Statistics",
        "licence": "US public domain",
        "counts": count_kinds(records),
    }
    return system, records
