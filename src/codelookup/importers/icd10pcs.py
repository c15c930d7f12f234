"""CMS ICD-10-PCS releases: the order file (official titles) or the tables XML (axes).

Order file (``icd10pcs_order_<year>.txt``), fixed width, 1-based inclusive positions:
order number 1-5, code 7-13, header flag 15 (1 = valid code, 0 = header), short title 17-76,
long title 78-end. Headers are the 3-character
tables; sections and body systems are not in the file, so their records get the section names
below and a body-system name taken from the shared start of its tables' header titles.

Tables XML (``icd10pcs_tables_<year>.xml``): every ``pcsTable`` fixes characters 1-3 and each
``pcsRow`` lists the allowed values of characters 4-7; valid codes are the row's Cartesian
product. CMS's long titles follow per-section wording rules we do not reproduce, so codes from
the XML get a plainly composed title ("Operation: body part, approach, device, qualifier"); the
XML's real value is the axis tables, exported in ``pcs_tables``. Import the order file to get
official titles.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codelookup.importers._common import Layer, ParsedRelease, Ticker, fail, read_text
from codelookup.pcs import SECTION_NAMES, TablesFileError, group_record, parse_tables_xml

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


def parse_tables(path: Path, ticker: Ticker) -> tuple[list[dict[str, Any]], dict[str, int], dict[str, Any], str | None]:
    """The tables XML through the one parser the build shares (per-row labels, see codelookup.pcs)."""

    def progress(done: int, total: int) -> None:
        ticker.total = max(total, 1)
        ticker(done)

    try:
        parsed = parse_tables_xml(path, progress)
    except TablesFileError as exc:
        raise fail(path, exc.line, exc.reason) from None
    codes = [_code(code, title) for code, title in parsed.codes]
    tables = parsed.labels.result()
    counts = {
        "codes": len(codes),
        "tables": len(parsed.labels.tables),
        "rows": parsed.rows,
        "sections": len({t[0] for t in parsed.labels.tables}),
    }
    return parsed.group_records() + codes, counts, tables, _release(path, parsed.version)


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


def parse(path: Path, ticker: Ticker) -> PcsImport:
    """Dispatch on the file's form: ``.xml`` is the tables file, anything else the order file."""
    if path.suffix.lower() == ".xml":
        records, counts, tables, release = parse_tables(path, ticker)
        note = (
            "Code titles are composed from the axis labels, not CMS's official long titles; "
            "import the order file of the same release as well to get those."
        )
        return PcsImport(records, counts, tables, release, [TABLES_FORM], note)
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
    by_code = {r["code"]: r for r in previous}
    if other == ORDER_FORM:  # new tables XML, official titles from the earlier order file
        titled = 0
        for rec in new.records:
            old = by_code.get(rec["code"])
            if rec["kind"] == "code" and old is not None:
                rec["title"] = old["title"]
                if old.get("terms"):
                    rec["terms"] = list(old["terms"])
                titled += 1
        untitled = new.counts["codes"] - titled
        tables = new.pcs_tables
    else:  # new order file, axes and body-system names from the earlier tables XML
        for rec in new.records:
            old = by_code.get(rec["code"])
            if rec["kind"] == "body_system" and old is not None:
                rec["title"] = old["title"]
        tables = header.get("pcs_tables") or {}
        untitled = 0
    note = "Code titles are CMS's official long titles; axis tables from the tables XML."
    if untitled:
        note += f" {untitled} codes absent from the order file have titles composed from axes."
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
