"""ICD-10-PCS tables: the one parser, label model and title composer of the build and ``import``.

A PCS table fixes characters 1-3 (section, body system, root operation or type); each ``pcsRow``
of the CMS tables XML (``icd10pcs_tables_<year>.xml``) lists the values allowed for characters
4-7, and the table's codes are every combination within a row. One character can carry
different labels in different rows of the same table (in table 3E0 the qualifier ``0`` of one
row is not the qualifier ``0`` of another), so labels are kept per row: :func:`code_labels`
gives every code its own row's seven labels, and :func:`catalogue_tables` stores one label map
per table (the first label seen for each character) plus ``_overrides`` for every code whose
row labels a character differently; :func:`axis_label` reads that back. Axis titles differ by
section ("Contrast", "Radionuclide", "Modality Qualifier", ...) and are kept per table.

The bundled build (:mod:`codelookup.build.pipeline`) and ``codelookup import icd10pcs``
(:mod:`codelookup.importers.icd10pcs`) both call :func:`parse_tables` and
:func:`records_from_tables`, so an imported release decodes and titles its codes exactly as the
bundled one does. Standard library only, no build dependencies: the runtime importer uses it.
Labels are taken verbatim (whitespace collapsed), so "Drug-eluting" stays "Drug-eluting".
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SYSTEM = "ICD-10-PCS"
AXIS_KEYS = ("section", "body_system", "operation", "body_part", "approach", "device", "qualifier")
AXES: tuple[str, ...] = AXIS_KEYS[3:]  # characters 4-7, labelled per row
OVERRIDES = "_overrides"
PCS_CHAR = re.compile(r"[0-9A-HJ-NP-Z]")  # PCS never uses the letters I and O
TABLES_ROOT = "ICD10PCS.tabular"
DEFINITIONS_ROOT = "ICD10PCS.definitions"
INDEX_ROOT = "ICD10PCS.index"

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


class PcsFileError(ValueError):
    """The file is not a well-formed CMS PCS file of the expected kind.

    ``line`` is where (None when the file as a whole is wrong) and ``reason`` says what, so the
    importer can say ``<file>:<line>: <reason>`` and the build can wrap ``str(exc)``.
    """

    def __init__(self, name: str, line: int | None, reason: str) -> None:
        super().__init__(f"{name}:{line}: {reason}" if line is not None else f"{name}: {reason}")
        self.line = line
        self.reason = reason


class _Bad(Exception):
    """A problem inside one table; :func:`parse_tables` adds the file name and line."""


Labels = tuple[tuple[str, str], ...]  # ((char, label), ...)


@dataclass(frozen=True)
class Row:
    """One ``pcsRow``: the allowed (character, label) pairs for positions 4-7."""

    axes: tuple[Labels, Labels, Labels, Labels]

    def codes(self, prefix: str) -> Iterator[tuple[str, tuple[str, ...]]]:
        for combo in itertools.product(*self.axes):
            yield prefix + "".join(c for c, _ in combo), tuple(label for _, label in combo)


@dataclass(frozen=True)
class Table:
    """One ``pcsTable``: characters 1-3 with their labels, axis titles for 1-7, and its rows."""

    prefix: str
    labels: tuple[str, str, str]  # section, body system, operation/type
    operation_definition: str
    titles: tuple[str, ...]  # seven axis titles: "Section", ..., "Qualifier"
    rows: tuple[Row, ...]

    def codes(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        for row in self.rows:
            yield from row.codes(self.prefix)


def _text(element: ET.Element | None) -> str:
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def _labels(axis: ET.Element) -> Labels:
    out: list[tuple[str, str]] = []
    for label in axis.findall("label"):
        char = (label.get("code") or "").strip().upper()
        if not PCS_CHAR.fullmatch(char):
            raise _Bad(f"bad axis value {char!r} at position {axis.get('pos')}")
        text = _text(label)
        if not text:
            raise _Bad(f"axis value {char!r} at position {axis.get('pos')} has no label")
        out.append((char, text))
    if not out:
        raise _Bad(f"axis at position {axis.get('pos')} has no values")
    return tuple(out)


def _axes(parent: ET.Element, positions: range) -> dict[int, ET.Element]:
    found: dict[int, ET.Element] = {}
    for axis in parent.findall("axis"):
        try:
            pos = int(axis.get("pos", ""))
        except ValueError:
            raise _Bad(f"axis position {axis.get('pos')!r} is not a number") from None
        if pos in positions:
            found[pos] = axis
    missing = [p for p in positions if p not in found]
    if missing:
        raise _Bad(f"missing axis position(s) {', '.join(map(str, missing))}")
    return found


def parse_table(element: ET.Element) -> Table:
    """One ``pcsTable`` element; checks each row's declared code count against its axes."""
    fixed = _axes(element, range(1, 4))
    head = [_labels(fixed[p]) for p in (1, 2, 3)]
    if any(len(values) != 1 for values in head):
        raise _Bad("characters 1-3 of a table must each have exactly one value")
    (s, s_label), (b, b_label), (o, o_label) = (values[0] for values in head)
    prefix = s + b + o
    titles = [_text(fixed[p].find("title")) for p in (1, 2, 3)]
    rows: list[Row] = []
    row_titles: list[str] = ["", "", "", ""]
    for row in element.findall("pcsRow"):
        axes = _axes(row, range(4, 8))
        body, fifth, device, qualifier = (_labels(axes[p]) for p in range(4, 8))
        for i, p in enumerate(range(4, 8)):
            row_titles[i] = row_titles[i] or _text(axes[p].find("title"))
        count = len(body) * len(fifth) * len(device) * len(qualifier)
        declared = row.get("codes")
        if declared is not None and declared.isdigit() and int(declared) != count:
            raise _Bad(f"row of table {prefix} declares {declared} codes but its axes give {count}")
        rows.append(Row((body, fifth, device, qualifier)))
    if not rows:
        raise _Bad(f"table {prefix} has no rows")
    return Table(prefix, (s_label, b_label, o_label), _text(fixed[3].find("definition")),
                 tuple(titles + row_titles), tuple(rows))  # fmt: skip


_KIND_NAMES = {TABLES_ROOT: "tables", DEFINITIONS_ROOT: "definitions", INDEX_ROOT: "index"}


def _root_problem(root_tag: str, expected: str) -> str | None:
    """Say which PCS file it is when it is the wrong one ("a PCS definitions file, not tables")."""
    if root_tag == expected:
        return None
    wanted = _KIND_NAMES[expected]
    if root_tag in _KIND_NAMES:
        return f"this is a PCS {_KIND_NAMES[root_tag]} file, not {wanted}"
    return f"root element is <{root_tag}>, expected <{expected}> (PCS {wanted})"


def parse_tables(path: Path, progress: Callable[[int, int], None] | None = None) -> tuple[str, list[Table]]:
    """(version, tables) of a tables XML file, read as a stream so memory stays small.

    ``progress(done, total)`` hears the bytes read, once per line. Every code must be listed
    once. Raises :class:`PcsFileError` with the line of the offending table.
    """
    try:
        total = path.stat().st_size
    except OSError as exc:
        raise PcsFileError(path.name, None, f"cannot be read ({exc.strerror or exc})") from None
    tables: list[Table] = []
    seen: set[str] = set()
    version = ""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    table_line = done = depth = 0
    try:
        with path.open("rb") as fh:
            for number, chunk in enumerate(fh, start=1):
                parser.feed(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
                for item in parser.read_events():
                    if len(item) != 2 or not isinstance(item[1], ET.Element):
                        continue
                    event, elem = item[0], item[1]
                    if event == "start":
                        depth += 1
                        if depth == 1 and (problem := _root_problem(elem.tag, TABLES_ROOT)):
                            raise PcsFileError(path.name, number, problem)
                        if elem.tag == "pcsTable":
                            table_line = number
                        continue
                    depth -= 1
                    if elem.tag == "version" and depth == 1:
                        version = _text(elem)
                    elif elem.tag == "pcsTable" and depth == 1:
                        try:
                            table = parse_table(elem)
                            for row in table.rows:
                                chars = ([c for c, _ in axis] for axis in row.axes)
                                for combo in itertools.product(*chars):
                                    code = table.prefix + "".join(combo)
                                    if code in seen:
                                        raise _Bad(f"code {code} is listed twice")
                                    seen.add(code)
                        except _Bad as exc:
                            raise PcsFileError(path.name, table_line, f"in <pcsTable>: {exc}") from None
                        tables.append(table)
                        elem.clear()
            parser.close()
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise PcsFileError(path.name, line, f"not well-formed XML ({exc})") from None
    except OSError as exc:
        raise PcsFileError(path.name, None, f"cannot be read ({exc.strerror or exc})") from None
    if not tables:
        raise PcsFileError(path.name, None, "no ICD-10-PCS tables found")
    return version, tables


# (section, position) -> label -> explanation text
Definitions = dict[str, dict[str, dict[str, str]]]


def parse_definitions(path: Path) -> tuple[str, Definitions]:
    """(version, definitions) of a definitions XML file: every term's definition, explanation
    and 'includes' list, joined into one plain text per label."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise PcsFileError(path.name, None, f"not well-formed XML ({exc})") from None
    except OSError as exc:
        raise PcsFileError(path.name, None, f"cannot be read ({exc.strerror or exc})") from None
    if problem := _root_problem(root.tag, DEFINITIONS_ROOT):
        raise PcsFileError(path.name, None, problem)
    out: Definitions = {}
    for section in root.findall("section"):
        code = section.get("code") or ""
        for axis in section.findall("axis"):
            pos = axis.get("pos") or ""
            target = out.setdefault(code, {}).setdefault(pos, {})
            for terms in axis.findall("terms"):
                parts: list[str] = []
                definition = _text(terms.find("definition"))
                if definition:
                    parts.append(definition.rstrip(".") + ".")
                explanation = _text(terms.find("explanation"))
                if explanation:
                    parts.append(explanation.rstrip(".") + ".")
                includes = [_text(i) for i in terms.findall("includes") if _text(i)]
                if includes:
                    parts.append("Includes: " + "; ".join(includes) + ".")
                if not parts:
                    continue
                for title in terms.findall("title"):
                    if _text(title):
                        target[_text(title)] = " ".join(parts)
    if not out:
        raise PcsFileError(path.name, None, "no ICD-10-PCS definitions found")
    return _text(root.find("version")), out


# -- the label model ---------------------------------------------------------------------------
def catalogue_tables(tables: list[Table]) -> dict[str, Any]:
    """The catalogue's ``pcs_tables``: per table the labels of characters 1-3, axis titles, and
    labels for 4-7 (first row wins); codes of a row that gives another meaning are listed
    under ``_overrides`` so every code decodes with its own row's labels."""
    out: dict[str, Any] = {}
    overrides: dict[str, dict[str, str]] = {}
    for table in tables:
        s, b, o = table.labels
        entry: dict[str, Any] = {
            "section": [table.prefix[0], s],
            "body_system": [table.prefix[1], b],
            "operation": [table.prefix[2], o, table.operation_definition],
            "titles": list(table.titles),
        }
        maps: list[dict[str, str]] = [{}, {}, {}, {}]
        for row in table.rows:
            for i, labels in enumerate(row.axes):
                for char, label in labels:
                    maps[i].setdefault(char, label)
        for code, row_labels in table.codes():
            for i, text in enumerate(row_labels):
                if maps[i][code[3 + i]] != text:
                    overrides.setdefault(code, {})[AXES[i]] = text
        for i, key in enumerate(AXES):
            entry[key] = dict(sorted(maps[i].items()))
        out[table.prefix] = entry
    result: dict[str, Any] = dict(sorted(out.items()))
    if overrides:
        result[OVERRIDES] = dict(sorted(overrides.items()))
    return result


def axis_label(tables: Mapping[str, Any], code: str, axis: str) -> str:
    """The label of ``code``'s character on ``axis`` (one of :data:`AXES`): its own row's
    label, from ``_overrides`` first, else the table's map."""
    own = (tables.get(OVERRIDES) or {}).get(code, {}).get(axis)
    if own:
        return str(own)
    value = (tables.get(code[:3]) or {}).get(axis)
    if isinstance(value, dict):
        return str(value.get(code[3 + AXES.index(axis)], ""))
    return ""


def code_labels(tables: list[Table]) -> dict[str, tuple[str, ...]]:
    """Every code with its seven labels, taken from the row that produced it."""
    out: dict[str, tuple[str, ...]] = {}
    for table in tables:
        for code, labels in table.codes():
            if code in out:
                raise PcsFileError("tables", None, f"code {code} is listed twice")
            out[code] = (*table.labels, *labels)
    return out


# -- titles ------------------------------------------------------------------------------------
def _says(label: str) -> bool:
    """False for labels that say nothing about the procedure ("No Device", "None")."""
    return bool(label) and label != "None" and not label.startswith("No ")


def compose_title(labels: tuple[str, ...], titles: tuple[str, ...] = ()) -> str:
    """A long title in the shape of CMS's: '<Operation> of <Body Part> with <Device>,
    <Approach> Approach, <Qualifier>'. 'No Device', 'No Qualifier' and 'None' are left out, as
    CMS does. Used only where no official title exists (the catalogue marks it as composed)."""
    _, _, operation, body, fifth, device, qualifier = labels
    bypass = operation == "Bypass" and _says(qualifier)  # CMS: "Bypass <body part> to <qualifier>"
    title = f"{operation} of {body}" if _says(body) and not bypass else operation
    if bypass:
        title = f"{operation} {body} to {qualifier}"
    if _says(device):
        title += f" with {device}" if len(titles) < 6 or titles[5] == "Device" else f", {device}"
    if _says(fifth):
        is_approach = len(titles) < 5 or titles[4] == "Approach"
        suffix = " Approach" if is_approach and not fifth.startswith("Via") and not fifth.endswith("Approach") else ""
        title += f", {fifth}{suffix}"
    if _says(qualifier) and not bypass:
        title += f", {qualifier}"
    return title


def title_from_sibling(
    code: str, labels: tuple[str, ...], siblings: Iterable[tuple[str, str, tuple[str, ...]]]
) -> str | None:
    """An official title of a code in the same table, with the differing labels swapped in.

    CMS builds its long titles from the axis labels; where a sibling differs from the new code
    only in characters whose labels appear word for word in its title, substituting them gives
    the title CMS would write. Returns None when no sibling allows that.
    """
    best: tuple[int, str] | None = None
    for other, title, other_labels in siblings:
        diffs = [i for i in range(3, 7) if other[i] != code[i]]
        if not diffs or (best is not None and len(diffs) >= best[0]):
            continue
        candidate = title
        for i in diffs:
            old, new = other_labels[i], labels[i]
            if not (_says(old) and _says(new)) or candidate.count(old) != 1:
                break
            candidate = candidate.replace(old, new)
        else:
            best = (len(diffs), candidate)
            if len(diffs) == 1:
                break
    return best[1] if best else None


def records_from_tables(
    labels: Mapping[str, tuple[str, ...]],
    axis_titles: Mapping[str, tuple[str, ...]],
    official: Mapping[str, str],
    release: str,
    *,
    keep_deleted: bool = True,
    mark_new: bool = True,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Section, body system, table and code records of a tables-XML release, in code order.

    ``labels`` has every code of the release with its seven labels (:func:`code_labels`);
    ``official`` the official long titles known (from an earlier release, or the order file of
    this one). A code without one gets a sibling's title with its own labels swapped in
    (:func:`title_from_sibling`), else a composed one (:func:`compose_title`), marked
    ``title_source: composed`` (and ``added_in: release`` when ``mark_new``: the build knows
    such a code is new). With ``keep_deleted``, codes of ``official`` that the release no
    longer has are kept as deleted records (never billable) so that looking them up says so.
    """
    by_table: dict[str, list[str]] = {}
    for code in labels:
        by_table.setdefault(code[:3], []).append(code)
    deleted = sorted(set(official) - set(labels)) if keep_deleted else []
    for code in deleted:
        if code[:3] not in by_table:
            raise PcsFileError(release, None, f"deleted ICD-10-PCS code {code} belongs to no table")
    counts = {"composed_titles": 0, "sibling_titles": 0, "deleted": len(deleted)}
    codes: list[dict[str, Any]] = []
    for prefix in sorted(by_table):
        members = sorted(by_table[prefix])
        known = [(c, official[c], labels[c]) for c in members if c in official]
        for code in members:
            rec: dict[str, Any] = {"code": code, "system": SYSTEM, "title": official.get(code, ""), "billable": True,
                   "kind": "code", "parent": prefix}  # fmt: skip
            if not rec["title"]:
                title = title_from_sibling(code, labels[code], known)
                counts["sibling_titles"] += title is not None
                rec["title"] = title or compose_title(labels[code], axis_titles.get(prefix, ()))
                rec["title_source"] = "composed"
                if mark_new:
                    rec["added_in"] = release
                counts["composed_titles"] += 1
            codes.append(rec)
    for code in deleted:
        codes.append({"code": code, "system": SYSTEM, "title": official[code], "billable": False, "kind": "code",
                      "parent": code[:3], "status": "deleted", "deleted_in": release})  # fmt: skip
    codes.sort(key=lambda r: r["code"])
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for rec in codes:
        code = str(rec["code"])
        first = labels.get(code) or labels[by_table[code[:3]][0]]
        for group, kind, parent, title in (
            (code[:1], "section", None, first[0]),
            (code[:2], "body_system", code[:1], first[1]),
            (code[:3], "table", code[:2], f"{first[0]}, {first[1]}, {first[2]}"),
        ):
            if group not in seen:
                seen.add(group)
                records.append(group_record(group, title, kind, parent))
        records.append(rec)
    return records, counts
