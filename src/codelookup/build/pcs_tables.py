"""The ICD-10-PCS tables and definitions XML (CMS, ``icd10pcs_tables_<year>.xml`` and
``icd10pcs_definitions_<year>.xml``): one parser, per-row labels, usable by the build and the importer.

A PCS table fixes characters 1-3 (section, body system, root operation or type); each ``pcsRow``
lists the values allowed for characters 4-7, and the table's codes are every combination within a
row. The same character can mean different things in different rows of one table (mostly
qualifiers), so labels are kept per row and the code-level view (:func:`code_labels`) always takes
them from the row that produced the code. Axis titles differ by section ("Contrast",
"Radionuclide", "Modality Qualifier", ...) and are kept per table.

Labels are taken verbatim (whitespace collapsed), so "Drug-eluting" stays "Drug-eluting".
Errors are :class:`PcsFileError` (a ``ValueError``) so each caller can wrap them in its own
exception type.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

_CHAR = re.compile(r"[0-9A-HJ-NP-Z]")  # PCS never uses the letters I and O
TABLES_ROOT = "ICD10PCS.tabular"
DEFINITIONS_ROOT = "ICD10PCS.definitions"
INDEX_ROOT = "ICD10PCS.index"


class PcsFileError(ValueError):
    """The file is not a well-formed CMS PCS file of the expected kind."""


Labels = tuple[tuple[str, str], ...]  # ((char, label), ...)


@dataclass(frozen=True)
class Row:
    """One ``pcsRow``: the allowed (character, label) pairs for positions 4-7."""

    axes: tuple[Labels, Labels, Labels, Labels]
    declared: int | None

    def codes(self, prefix: str) -> Iterator[tuple[str, tuple[str, str, str, str]]]:
        for combo in itertools.product(*self.axes):
            yield prefix + "".join(c for c, _ in combo), tuple(label for _, label in combo)  # type: ignore[misc]


@dataclass(frozen=True)
class Table:
    """One ``pcsTable``: characters 1-3 with their labels, axis titles for 1-7, and its rows."""

    prefix: str
    labels: tuple[str, str, str]  # section, body system, operation/type
    operation_definition: str
    titles: tuple[str, ...]  # seven axis titles: "Section", ..., "Qualifier"
    rows: tuple[Row, ...] = field(default_factory=tuple)

    def codes(self) -> Iterator[tuple[str, tuple[str, str, str, str]]]:
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
        if not _CHAR.fullmatch(char):
            raise PcsFileError(f"bad axis value {char!r} at position {axis.get('pos')}")
        text = _text(label)
        if not text:
            raise PcsFileError(f"axis value {char!r} at position {axis.get('pos')} has no label")
        out.append((char, text))
    if not out:
        raise PcsFileError(f"axis at position {axis.get('pos')} has no values")
    return tuple(out)


def _axes(parent: ET.Element, positions: range) -> dict[int, ET.Element]:
    found: dict[int, ET.Element] = {}
    for axis in parent.findall("axis"):
        try:
            pos = int(axis.get("pos", ""))
        except ValueError:
            raise PcsFileError(f"axis position {axis.get('pos')!r} is not a number") from None
        if pos in positions:
            found[pos] = axis
    missing = [p for p in positions if p not in found]
    if missing:
        raise PcsFileError(f"missing axis position(s) {', '.join(map(str, missing))}")
    return found


def parse_table(element: ET.Element) -> Table:
    fixed = _axes(element, range(1, 4))
    head = [_labels(fixed[p]) for p in (1, 2, 3)]
    if any(len(values) != 1 for values in head):
        raise PcsFileError("characters 1-3 of a table must each have exactly one value")
    (s, s_label), (b, b_label), (o, o_label) = (values[0] for values in head)
    prefix = s + b + o
    titles = [_text(fixed[p].find("title")) for p in (1, 2, 3)]
    rows: list[Row] = []
    row_titles: list[str] = ["", "", "", ""]
    for row in element.findall("pcsRow"):
        axes = _axes(row, range(4, 8))
        values = tuple(_labels(axes[p]) for p in range(4, 8))
        for i, p in enumerate(range(4, 8)):
            row_titles[i] = row_titles[i] or _text(axes[p].find("title"))
        declared = row.get("codes")
        count = 1
        for v in values:
            count *= len(v)
        if declared is not None and declared.isdigit() and int(declared) != count:
            raise PcsFileError(f"a row of table {prefix} declares {declared} codes but its axes give {count}")
        rows.append(Row(values, int(declared) if declared and declared.isdigit() else None))  # type: ignore[arg-type]
    if not rows:
        raise PcsFileError(f"table {prefix} has no rows")
    return Table(prefix, (s_label, b_label, o_label), _text(fixed[3].find("definition")),
                 tuple(titles + row_titles), tuple(rows))  # fmt: skip


_KIND_NAMES = {TABLES_ROOT: "tables", DEFINITIONS_ROOT: "definitions", INDEX_ROOT: "index"}


def _root_check(path: Path, root_tag: str, expected: str) -> None:
    """Say which PCS file it is when it is the wrong one ("a PCS definitions file, not tables")."""
    if root_tag == expected:
        return
    wanted = _KIND_NAMES[expected]
    if root_tag in _KIND_NAMES:
        raise PcsFileError(f"{path.name}: this is a PCS {_KIND_NAMES[root_tag]} file, not {wanted}")
    raise PcsFileError(f"{path.name}: root element is <{root_tag}>, expected <{expected}> (PCS {wanted})")


def parse_tables(path: Path) -> tuple[str, list[Table]]:
    """(version, tables) of a tables XML file, streaming so memory stays small."""
    tables: list[Table] = []
    version = ""
    depth = 0
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                depth += 1
                if depth == 1:
                    _root_check(path, elem.tag, TABLES_ROOT)
                continue
            depth -= 1
            if elem.tag == "version" and depth == 1:
                version = _text(elem)
            elif elem.tag == "pcsTable" and depth == 1:
                try:
                    tables.append(parse_table(elem))
                except PcsFileError as exc:
                    raise PcsFileError(f"{path.name}: table {len(tables) + 1}: {exc}") from None
                elem.clear()
    except ET.ParseError as exc:
        raise PcsFileError(f"{path.name}: not well-formed XML ({exc})") from None
    except OSError as exc:
        raise PcsFileError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    if not tables:
        raise PcsFileError(f"{path.name}: no ICD-10-PCS tables found")
    return version, tables


# (section, position) -> label -> explanation text
Definitions = dict[str, dict[str, dict[str, str]]]


def parse_definitions(path: Path) -> tuple[str, Definitions]:
    """(version, definitions) of a definitions XML file: every term's definition, explanation
    and 'includes' list, joined into one plain text per label."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise PcsFileError(f"{path.name}: not well-formed XML ({exc})") from None
    except OSError as exc:
        raise PcsFileError(f"{path.name}: cannot be read ({exc.strerror or exc})") from None
    _root_check(path, root.tag, DEFINITIONS_ROOT)
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
        raise PcsFileError(f"{path.name}: no ICD-10-PCS definitions found")
    return _text(root.find("version")), out


AXIS_KEYS = ("section", "body_system", "operation", "body_part", "approach", "device", "qualifier")


def catalogue_tables(tables: list[Table]) -> dict[str, object]:
    """The catalogue's ``pcs_tables``: per table the labels of characters 1-3, axis titles, and
    labels for 4-7 (first row wins); codes of a row that gives another meaning are listed
    under ``_overrides`` so every code decodes with its own row's labels."""
    out: dict[str, object] = {}
    overrides: dict[str, dict[str, str]] = {}
    for table in tables:
        s, b, o = table.labels
        entry: dict[str, object] = {
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
        for code, code_labels in table.codes():
            for i, text in enumerate(code_labels):
                if maps[i][code[3 + i]] != text:
                    overrides.setdefault(code, {})[AXIS_KEYS[3 + i]] = text
        for i, key in enumerate(AXIS_KEYS[3:]):
            entry[key] = dict(sorted(maps[i].items()))
        out[table.prefix] = entry
    result: dict[str, object] = dict(sorted(out.items()))
    if overrides:
        result["_overrides"] = dict(sorted(overrides.items()))
    return result


def code_labels(tables: list[Table]) -> dict[str, tuple[str, ...]]:
    """Every code with its seven labels, taken from the row that produced it."""
    out: dict[str, tuple[str, ...]] = {}
    for table in tables:
        for code, labels in table.codes():
            if code in out:
                raise PcsFileError(f"code {code} is listed twice")
            out[code] = (*table.labels, *labels)
    return out


def compose_title(labels: tuple[str, ...], titles: tuple[str, ...] = ()) -> str:
    """A long title in the shape of CMS's: '<Operation> of <Body Part> with <Device>,
    <Approach> Approach, <Qualifier>'. 'No Device', 'No Qualifier' and 'None' are left out, as
    CMS does. Used only where no official title exists (the catalogue marks it as composed)."""
    _, _, operation, body, fifth, device, qualifier = labels

    def says(text: str) -> bool:
        return bool(text) and text != "None" and not text.startswith("No ")

    bypass = operation == "Bypass" and says(qualifier)  # CMS: "Bypass <body part> to <qualifier>"
    title = f"{operation} of {body}" if says(body) and not bypass else operation
    if bypass:
        title = f"{operation} {body} to {qualifier}"
    if says(device):
        title += f" with {device}" if len(titles) < 6 or titles[5] == "Device" else f", {device}"
    if says(fifth):
        is_approach = len(titles) < 5 or titles[4] == "Approach"
        suffix = " Approach" if is_approach and not fifth.startswith("Via") and not fifth.endswith("Approach") else ""
        title += f", {fifth}{suffix}"
    if says(qualifier) and not bypass:
        title += f", {qualifier}"
    return title
