"""CMS ICD-10-PCS releases: the order file (official titles) or the tables XML (axes).

Order file (``icd10pcs_order_<year>.txt``), fixed width, 1-based inclusive positions:
order number 1-5, code 7-13, header flag 15 (1 = valid code, 0 = header), short title 17-76,
long title 78-end. Headers are the 3-character
tables; sections and body systems are not in the file, so their records get the section names
below and a body-system name taken from the shared start of its tables' header titles.

Tables XML (``icd10pcs_tables_<year>.xml``): read by the one parser the build uses
(:func:`codelookup.pcs.parse_tables`, per-row labels) and turned into records by the build's own
:func:`codelookup.pcs.records_from_tables`, so an import of a release gives the same labels,
``pcs_tables`` and composed titles as the bundled build of it. The XML has no code titles: each
code gets a sibling's official title with its own labels swapped in when the order file of the
same release was imported before, else a title composed in CMS's shape from its labels (marked
``title_source: composed``). Import the order file as well to get every official title.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codelookup.importers._common import Layer, ParsedRelease, Ticker, fail, read_text
from codelookup.pcs import (
    SECTION_NAMES,
    PcsFileError,
    Table,
    catalogue_tables,
    code_labels,
    group_record,
    parse_tables,
    records_from_tables,
)

SYSTEM = "ICD-10-PCS"
CODE_RE = re.compile(r"[0-9A-HJ-NP-Z]{1,7}")
YEAR_RE = re.compile(r"(20\d\d)")

# The 17 PCS sections (character 1), needed because the order file has no section lines.
SECTION_TITLES = SECTION_NAMES


def _group(code: str, title: str, kind: str) -> dict[str, Any]:
    """A section, body-system or table record, shaped exactly like the bundled ones."""
    return group_record(code, title, kind, code[:-1] or None)


def _code(code: str, title: str, terms: list[str] | None = None) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "code": code,
        "system": SYSTEM,
        "title": title,
        "billable": True,
        "kind": "code",
        "parent": code[:3],
    }
    if terms:
        rec["terms"] = terms
    return rec


def _release(path: Path, version: str | None = None) -> str | None:
    match = YEAR_RE.search(version or "") or YEAR_RE.search(path.name)
    return f"FY{match.group(1)}" if match else None


# --- order file ------------------------------------------------------------------------------


def _body_system_title(titles: list[str], fallback: str) -> str:
    """Shared leading part of a body system's table titles, cut at a separator."""
    if not titles:
        return fallback
    prefix = titles[0]
    for title in titles[1:]:
        size = 0
        for a, b in zip(prefix, title, strict=False):
            if a != b:
                break
            size += 1
        prefix = prefix[:size]
    for sep in (" @ ", ", "):
        if sep in prefix:
            head = prefix[: prefix.rfind(sep)]
            # "Section @ Body system @ Operation" style: keep the body-system part only.
            return head.split(" @ ")[-1].strip() or fallback
    return fallback


def parse_order(path: Path, ticker: Ticker) -> tuple[list[dict[str, Any]], dict[str, int]]:
    lines = read_text(path).splitlines()
    ticker.total = max(len(lines), 1)
    tables: dict[str, str] = {}
    codes: list[dict[str, Any]] = []
    seen: set[str] = set()
    last_order = 0
    for number, raw in enumerate(lines, start=1):
        ticker(number)
        if not raw.strip():
            continue
        if len(raw.rstrip()) < 78:  # the long title starts at column 78 and is never blank
            raise fail(path, number, f"truncated line ({len(raw.rstrip())} characters, long title missing)")
        order_text, code, flag = raw[0:5].strip(), raw[6:13].strip().upper(), raw[14:15]
        if not order_text.isdigit():
            raise fail(path, number, f"order number {order_text!r} is not a number")
        order = int(order_text)
        if order <= last_order:
            raise fail(path, number, f"wrong sequence: order number {order} after {last_order}")
        last_order = order
        if not CODE_RE.fullmatch(code):
            raise fail(path, number, f"bad ICD-10-PCS code {code!r}")
        if flag not in ("0", "1"):
            raise fail(path, number, f"bad header flag {flag!r} (expected 0 or 1)")
        short = " ".join(raw[16:76].split())
        long = " ".join(raw[77:].split()) or short
        if not long:
            raise fail(path, number, f"{code} has no title")
        if code in seen:
            raise fail(path, number, f"{code} appears twice")
        seen.add(code)
        if flag == "1":
            if len(code) != 7:
                raise fail(path, number, f"valid code {code!r} is not 7 characters")
            codes.append(_code(code, long, [short] if short and short != long else None))
        elif len(code) == 3:
            tables[code] = long
        elif len(code) == 7:
            raise fail(path, number, f"{code} is 7 characters but flagged as a header")
    if not codes:
        raise fail(path, None, "no valid ICD-10-PCS codes found")
    for rec in codes:  # a code whose table header is missing still needs a parent record
        table = rec["code"][:3]
        section = SECTION_TITLES.get(table[0], f"Section {table[0]}")
        tables.setdefault(table, f"{section}, body system {table[1]}, operation {table[2]}")
    by_system: dict[str, list[str]] = {}
    for table, title in sorted(tables.items()):
        by_system.setdefault(table[:2], []).append(title)
    groups: list[dict[str, Any]] = []
    for section in sorted({t[0] for t in tables}):
        groups.append(_group(section, SECTION_TITLES.get(section, f"Section {section}"), "section"))
    for system, titles in sorted(by_system.items()):
        section = SECTION_TITLES.get(system[0], f"Section {system[0]}")
        fallback = f"{section}: body system {system[1]}"
        title = _body_system_title(titles, fallback).removeprefix(f"{section}, ")
        groups.append(_group(system, title, "body_system"))
    for table, title in sorted(tables.items()):
        # Match the bundled catalogue's "<section>, <body system>, <operation>" table titles.
        section = SECTION_TITLES.get(table[0], "")
        full = title if not section or title.startswith(section) else f"{section}, {title}"
        groups.append(_group(table, full, "table"))
    counts = {"codes": len(codes), "tables": len(tables), "groups": len(groups)}
    return groups + codes, counts


# --- tables XML ------------------------------------------------------------------------------


def _tables_records(
    tables: list[Table], release: str | None, official: dict[str, str]
) -> tuple[list[dict[str, Any]], int]:
    """Records of a tables XML release titled as the build titles them: ``official`` titles
    (of the same release's order file) where known, else a sibling's or a composed one."""
    labels = code_labels(tables)
    titles = {t.prefix: t.titles for t in tables}
    known = {code: title for code, title in official.items() if code in labels}
    records, built = records_from_tables(labels, titles, known, release or "", keep_deleted=False, mark_new=False)
    return records, built["composed_titles"]


def read_tables(path: Path, ticker: Ticker) -> tuple[list[Table], str | None]:
    """The tables XML through the one parser the build shares (per-row labels, see codelookup.pcs)."""

    def progress(done: int, total: int) -> None:
        ticker.total = max(total, 1)
        ticker(done)

    try:
        version, tables = parse_tables(path, progress)
    except PcsFileError as exc:
        raise fail(path, exc.line, exc.reason) from None
    return tables, _release(path, version)


ORDER_FORM = "order file"
TABLES_FORM = "tables XML"


@dataclass
class PcsImport:
    """One parsed PCS release file, possibly completed from the other form of the same release."""

    records: list[dict[str, Any]]
    counts: dict[str, int]
    pcs_tables: dict[str, Any]
    release: str | None
    forms: list[str]
    notes: str
    tables: list[Table] | None = None  # the parsed tables XML, to re-title from an order file


def parse(path: Path, ticker: Ticker) -> PcsImport:
    """Dispatch on the file's form: ``.xml`` is the tables file, anything else the order file."""
    if path.suffix.lower() == ".xml":
        tables, release = read_tables(path, ticker)
        records, _ = _tables_records(tables, release, {})
        counts = {
            "codes": sum(1 for r in records if r["kind"] == "code"),
            "tables": len(tables),
            "rows": sum(len(t.rows) for t in tables),
            "sections": len({t.prefix[0] for t in tables}),
        }
        note = (
            "Code titles are composed from the axis labels in CMS's shape (as the bundled build does for "
            "new codes), not CMS's official long titles; import the order file of the same release as well "
            "to get those."
        )
        return PcsImport(records, counts, catalogue_tables(tables), release, [TABLES_FORM], note, tables)
    records, counts = parse_order(path, ticker)
    note = "Code titles are CMS's official long titles; no axis tables (import the tables XML)."
    return PcsImport(records, counts, {}, _release(path), [ORDER_FORM], note)


def combine(new: PcsImport, header: dict[str, Any], previous: list[dict[str, Any]]) -> PcsImport:
    """Complete ``new`` with the other form of the same release from the previous layer.

    The order file has the official titles but no axes; the tables XML has the axes but no
    titles. Importing both (in either order) keeps the best of each: the file imported last
    decides which codes exist, the order file supplies titles, the tables XML ``pcs_tables``
    and the body-system names. Different releases are never mixed.
    """
    forms = header.get("pcs_forms")
    if not isinstance(forms, list) or new.release is None:
        return new
    old_release = header.get("systems", {}).get(SYSTEM, {}).get("release")
    other = TABLES_FORM if new.forms == [ORDER_FORM] else ORDER_FORM
    if old_release != new.release or other not in forms:
        return new
    if other == ORDER_FORM:  # new tables XML, official titles from the earlier order file
        codes = {r["code"]: r for r in previous if r["kind"] == "code"}
        records, untitled = _tables_records(new.tables or [], new.release, {c: r["title"] for c, r in codes.items()})
        for rec in records:
            old = codes.get(rec["code"])
            if old is not None and old.get("terms") and rec.get("title_source") != "composed":
                rec["terms"] = list(old["terms"])
        tables = new.pcs_tables
        new = PcsImport(records, new.counts, tables, new.release, new.forms, new.notes, new.tables)
    else:  # new order file, axes and body-system names from the earlier tables XML
        by_code = {r["code"]: r for r in previous}
        for rec in new.records:
            old = by_code.get(rec["code"])
            if rec["kind"] == "body_system" and old is not None:
                rec["title"] = old["title"]
        tables = header.get("pcs_tables") or {}
        untitled = 0
    note = "Code titles are CMS's official long titles; axis tables from the tables XML."
    if untitled:
        note += (
            f" {untitled} codes absent from the order file have titles composed from axes (a sibling's "
            "official title with their own labels where one fits), the way the bundled build titles new codes."
        )
    return PcsImport(new.records, new.counts, tables, new.release, [ORDER_FORM, TABLES_FORM], note)


def parse_release(path: Path, ticker: Ticker, previous: Callable[[], Layer | None]) -> ParsedRelease:
    """The :class:`~codelookup.importers._common.Importer` entry point: one form of the release,
    completed from the other form when ``previous`` holds it (see :func:`combine`)."""
    pcs = parse(path, ticker)
    earlier = previous()
    if earlier is not None:
        pcs = combine(pcs, *earlier)
    return ParsedRelease(pcs.records, pcs.counts, pcs.release, pcs.notes, pcs_tables=pcs.pcs_tables,
                         header={"pcs_forms": pcs.forms})  # fmt: skip
