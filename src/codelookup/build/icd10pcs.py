"""Turn ICD-10-PCS code titles into catalogue records: sections, body systems, tables, codes.

ICD-10-PCS codes are seven characters; the first three name the table (section, body system,
root operation or type). The catalogue groups codes under those prefixes so that a reader can
browse from "Medical and Surgical" down to one code. These helpers read an order or code file
(code, title); the bundled FY2026 records come from the tables XML through
:func:`codelookup.pcs.records_from_tables`, which ``codelookup import icd10pcs`` shares.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codelookup.errors import CatalogueError, ImportFileError
from codelookup.pcs import SECTION_NAMES, group_record

SYSTEM = "ICD-10-PCS"

_CODE_RE = re.compile(r"^[0-9A-HJ-NP-Z]{7}$")  # PCS never uses the letters I and O
# CMS order file: order number, code, header flag (1 = valid code), short title, long title.
_ORDER_LINE_RE = re.compile(r"^(\d{5}) ([0-9A-Z]{3,7})\s+([01]) (.{60}) (.+)$")
# CMS code file (icd10pcs-codes-YYYY.txt): code, spaces, long title.
_CODES_LINE_RE = re.compile(r"^([0-9A-Z]{7})\s+(\S.*)$")


@dataclass(frozen=True)
class GroupLabels:
    """Names for the group levels, where a source supplies them."""

    body_systems: Mapping[str, str] = field(default_factory=dict)  # "0S" -> "Lower Joints"
    operations: Mapping[str, str] = field(default_factory=dict)  # "0SR" -> "Replacement"


def is_pcs_code(code: str) -> bool:
    return bool(_CODE_RE.match(code))


def parse_order_file(path: Path) -> list[tuple[str, str]]:
    """Read a CMS ICD-10-PCS order file or code file into sorted (code, long title) pairs.

    Both official shapes are accepted: ``icd10pcs_order_YYYY.txt`` (fixed columns; only lines
    flagged as valid codes are kept, table headers are dropped) and ``icd10pcs_codes_YYYY.txt``
    (code, then title).
    """
    try:
        text = path.read_text(encoding="utf-8-sig", errors="strict")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"cannot read ICD-10-PCS file {path}: {exc}") from exc
    pairs: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line:
            continue
        order = _ORDER_LINE_RE.match(line)
        if order is not None:
            if order.group(3) == "1":
                pairs[order.group(2)] = order.group(5).strip()
            continue
        simple = _CODES_LINE_RE.match(line)
        if simple is None:
            raise ImportFileError(f"{path}:{number}: not an ICD-10-PCS order or code line")
        pairs[simple.group(1)] = simple.group(2).strip()
    bad = [c for c in pairs if not is_pcs_code(c)]
    if bad:
        raise ImportFileError(f"{path}: invalid ICD-10-PCS code {bad[0]}")
    if not pairs:
        raise ImportFileError(f"{path}: no ICD-10-PCS codes found")
    return sorted(pairs.items())


_group = group_record  # the same group records as a layer's (codelookup.pcs)


def body_system_title(prefix: str, labels: GroupLabels) -> str:
    """The body system's name, or an honest placeholder naming the character."""
    known = labels.body_systems.get(prefix)
    if known:
        return known
    section = SECTION_NAMES.get(prefix[0], f"Section {prefix[0]}")
    return f"{section}: body system {prefix[1]}"


def table_title(prefix: str, labels: GroupLabels) -> str:
    """Title a table by section, body system and operation: names where known, else characters."""
    section = SECTION_NAMES.get(prefix[0], f"Section {prefix[0]}")
    body = labels.body_systems.get(prefix[:2]) or f"body system {prefix[1]}"
    operation = labels.operations.get(prefix) or f"root operation or type {prefix[2]}"
    return f"{section}, {body}, {operation}"


def records_from_titles(pairs: Iterable[tuple[str, str]], labels: GroupLabels | None = None) -> list[dict[str, Any]]:
    """Build section, body system, table and code records (depth-first, code order)."""
    labels = labels or GroupLabels()
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for code, title in sorted(pairs):
        if not is_pcs_code(code):
            raise CatalogueError(f"invalid ICD-10-PCS code {code!r}")
        if code in seen:
            raise CatalogueError(f"duplicate ICD-10-PCS code {code}")
        section, body, table = code[:1], code[:2], code[:3]
        if section not in seen:
            seen.add(section)
            name = SECTION_NAMES.get(section, f"Section {section}")
            records.append(_group(section, name, "section", None))
        if body not in seen:
            seen.add(body)
            records.append(_group(body, body_system_title(body, labels), "body_system", section))
        if table not in seen:
            seen.add(table)
            records.append(_group(table, table_title(table, labels), "table", body))
        seen.add(code)
        records.append(
            {
                "code": code,
                "system": SYSTEM,
                "title": title,
                "billable": True,
                "kind": "code",
                "parent": table,
            }
        )
    return records
