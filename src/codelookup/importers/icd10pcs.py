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

import itertools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codelookup.build.icd10pcs import SECTION_NAMES
from codelookup.build.icd10pcs import _group as build_group
from codelookup.importers._common import Ticker, fail, read_text

SYSTEM = "ICD-10-PCS"
PCS_CHAR = re.compile(r"[0-9A-HJ-NP-Z]")  # PCS never uses the letters I and O
CODE_RE = re.compile(r"[0-9A-HJ-NP-Z]{1,7}")
YEAR_RE = re.compile(r"(20\d\d)")

# The 17 PCS sections (character 1), needed because the order file has no section lines.
SECTION_TITLES = SECTION_NAMES
AXIS_KEYS = {4: "body_part", 5: "approach", 6: "device", 7: "qualifier"}


def _group(code: str, title: str, kind: str) -> dict[str, Any]:
    """A section, body-system or table record, shaped exactly like the bundled ones."""
    return build_group(code, title, kind, code[:-1] or None)


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
            raise fail(
                path, number, f"truncated line ({len(raw.rstrip())} characters, long title missing)"
            )
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


class _TableError(Exception):
    pass


def _labels(axis: ET.Element) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for label in axis.findall("label"):
        char = (label.get("code") or "").strip().upper()
        if not PCS_CHAR.fullmatch(char):
            raise _TableError(f"bad axis value {char!r} at position {axis.get('pos')}")
        text = " ".join((label.text or "").split())
        if not text:
            raise _TableError(f"axis value {char!r} at position {axis.get('pos')} has no label")
        out.append((char, text))
    if not out:
        raise _TableError(f"axis at position {axis.get('pos')} has no values")
    return out


def _axes(parent: ET.Element, positions: range) -> dict[int, ET.Element]:
    found: dict[int, ET.Element] = {}
    for axis in parent.findall("axis"):
        try:
            pos = int(axis.get("pos", ""))
        except ValueError:
            raise _TableError(f"axis position {axis.get('pos')!r} is not a number") from None
        if pos in positions:
            found[pos] = axis
    missing = [p for p in positions if p not in found]
    if missing:
        raise _TableError(f"missing axis position(s) {', '.join(map(str, missing))}")
    return found


def _compose_title(op: str, labels: tuple[tuple[str, str], ...]) -> str:
    # "No Device", "No Qualifier", "None" say nothing about the procedure: leave them out.
    words = [text for _, text in labels if text != "None" and not text.startswith("No ")]
    return f"{op}: {', '.join(words)}" if words else op


class _TablesBuilder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.pcs_tables: dict[str, dict[str, Any]] = {}
        self.codes: list[dict[str, Any]] = []
        self.seen: set[str] = set()
        self.titles: dict[str, str] = {}
        self.rows = 0

    def add_table(self, table: ET.Element) -> None:
        fixed = _axes(table, range(1, 4))
        head = [_labels(fixed[p]) for p in (1, 2, 3)]
        if any(len(values) != 1 for values in head):
            raise _TableError("characters 1-3 of a table must each have exactly one value")
        (s, s_title), (b, b_title), (o, o_title) = (values[0] for values in head)
        definition = " ".join((fixed[3].findtext("definition") or "").split())
        prefix = s + b + o
        entry = self.pcs_tables.setdefault(
            prefix,
            {
                "section": [s, s_title],
                "body_system": [b, b_title],
                "operation": [o, o_title, definition],
                "body_part": {},
                "approach": {},
                "device": {},
                "qualifier": {},
            },
        )
        self.titles.setdefault(s, s_title)
        self.titles.setdefault(s + b, b_title)
        self.titles.setdefault(prefix, f"{s_title}, {b_title}, {o_title}")
        for row in table.findall("pcsRow"):
            self.rows += 1
            axes = _axes(row, range(4, 8))
            values = [_labels(axes[p]) for p in range(4, 8)]
            for pos, labels in zip(range(4, 8), values, strict=True):
                entry[AXIS_KEYS[pos]].update(labels)
            expected = row.get("codes")
            combos = list(itertools.product(*values))
            if expected is not None and expected.isdigit() and int(expected) != len(combos):
                raise _TableError(
                    f"row of table {prefix} declares {expected} codes but its axes give "
                    f"{len(combos)}"
                )
            for combo in combos:
                code = prefix + "".join(char for char, _ in combo)
                if code in self.seen:
                    raise _TableError(f"code {code} is listed twice")
                self.seen.add(code)
                self.codes.append(_code(code, _compose_title(o_title, combo)))

    def records(self) -> list[dict[str, Any]]:
        groups = []
        for code in sorted(self.titles, key=lambda c: (len(c), c)):
            kind = ("section", "body_system", "table")[len(code) - 1]
            groups.append(_group(code, self.titles[code], kind))
        return groups + self.codes


def parse_tables(
    path: Path, ticker: Ticker
) -> tuple[list[dict[str, Any]], dict[str, int], dict[str, Any], str | None]:
    try:
        total = path.stat().st_size
    except OSError as exc:
        raise fail(path, None, f"cannot be read ({exc.strerror or exc})") from exc
    ticker.total = max(total, 1)
    builder = _TablesBuilder(path)
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    version: str | None = None
    table_line = 0
    done = 0
    depth = 0
    saw_root = False
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for number, line in enumerate(fh, start=1):
                parser.feed(line)
                done += len(line)
                ticker(done)
                for item in parser.read_events():
                    if len(item) != 2 or not isinstance(item[1], ET.Element):
                        continue
                    event, elem = item[0], item[1]
                    if event == "start":
                        depth += 1
                        if depth == 1:
                            saw_root = True
                            if elem.tag != "ICD10PCS.tabular":
                                raise fail(
                                    path,
                                    number,
                                    f"root element is <{elem.tag}>, expected <ICD10PCS.tabular>",
                                )
                        if elem.tag == "pcsTable":
                            table_line = number
                        continue
                    depth -= 1
                    if elem.tag == "version" and depth == 1:
                        version = (elem.text or "").strip() or None
                    elif elem.tag == "pcsTable":
                        try:
                            builder.add_table(elem)
                        except _TableError as exc:
                            raise fail(path, table_line, f"in <pcsTable>: {exc}") from None
                        elem.clear()
            parser.close()
    except ET.ParseError as exc:
        line_no = exc.position[0] if exc.position else None
        raise fail(path, line_no, f"not well-formed XML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise fail(path, None, f"is not UTF-8 text ({exc.reason})") from None
    if not saw_root or not builder.codes:
        raise fail(path, None, "no ICD-10-PCS tables found")
    counts = {
        "codes": len(builder.codes),
        "tables": len(builder.pcs_tables),
        "rows": builder.rows,
        "sections": len({t[0] for t in builder.pcs_tables}),
    }
    return builder.records(), counts, builder.pcs_tables, _release(path, version)


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
