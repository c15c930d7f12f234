"""One PCS tables parser for the build and ``import``: every code decodes to its own row's labels.

Checked against the official FY2026 tables XML vendored unmodified in data/sources: an
independent walk of the XML gives each code's labels row by row, and every one of the 79,115
codes must decode to exactly those through the stored tables and overrides. Merging labels per
table (what the importer used to do) gets 116 codes wrong, e.g. 3E01340 and XNS4032.
"""

from __future__ import annotations

import itertools
import sqlite3
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from codelookup.pcs import AXES, axis_label, parse_tables_xml

REPO = Path(__file__).resolve().parents[1]
TABLES_2026 = REPO / "data" / "sources" / "pcs_fy2026" / "icd10pcs_tables_2026.xml"


@cache
def truth() -> dict[str, tuple[str, ...]]:
    """code -> its row's labels for characters 4-7, read straight from the XML."""
    if not TABLES_2026.is_file():
        pytest.skip(f"{TABLES_2026} is absent")
    out: dict[str, tuple[str, ...]] = {}
    for table in ET.parse(TABLES_2026).getroot().iter("pcsTable"):
        prefix = "".join(a.find("label").get("code", "") for a in table.findall("axis"))  # type: ignore[union-attr]
        for row in table.findall("pcsRow"):
            axes = sorted(row.findall("axis"), key=lambda a: int(a.get("pos", "0")))
            choices = [[(lab.get("code", ""), " ".join((lab.text or "").split())) for lab in a.findall("label")]
                       for a in axes]  # fmt: skip
            for combo in itertools.product(*choices):
                out[prefix + "".join(c for c, _ in combo)] = tuple(label for _, label in combo)
    return out


@cache
def parsed_tables() -> dict[str, Any]:
    if not TABLES_2026.is_file():
        pytest.skip(f"{TABLES_2026} is absent")
    return parse_tables_xml(TABLES_2026).labels.result()


def test_every_fy2026_code_decodes_to_its_own_rows_labels() -> None:
    tables, expected = parsed_tables(), truth()
    assert len(expected) == 79_115
    wrong = [
        code for code, labels in expected.items() if tuple(axis_label(tables, code, axis) for axis in AXES) != labels
    ]
    assert wrong == []


def test_merging_labels_per_table_would_get_116_codes_wrong() -> None:
    # The old importer: one label per table character, the last row's winning.
    merged: dict[str, dict[str, dict[str, str]]] = {}
    expected = truth()
    for code, labels in expected.items():
        for axis, char, label in zip(AXES, code[3:], labels, strict=True):
            merged.setdefault(code[:3], {}).setdefault(axis, {})[char] = label
    wrong = sorted(
        code
        for code, labels in expected.items()
        if tuple(merged[code[:3]][axis][ch] for axis, ch in zip(AXES, code[3:], strict=True)) != labels
    )
    assert len(wrong) == 116
    assert {"3E01340", "XNS4032"} <= set(wrong)


@pytest.mark.parametrize(
    ("code", "axis", "label"),
    [("3E01340", "qualifier", "Influenza Vaccine"), ("XNS4032", "body_part", "Thoracic Vertebra")],
)
def test_examples_from_the_issue(code: str, axis: str, label: str) -> None:
    assert axis_label(parsed_tables(), code, axis) == label


def test_the_import_shows_the_official_labels_on_the_page(data_dir: Path) -> None:
    from codelookup.api import Library
    from codelookup.importers import ImportKind, run_import
    from codelookup.index import _fill
    from codelookup.layers import read_layer

    if not TABLES_2026.is_file():
        pytest.skip(f"{TABLES_2026} is absent")
    result = run_import(ImportKind.ICD10PCS, TABLES_2026)
    header, records = read_layer(result.layer_path)
    wanted = {"3E01340", "XNS4032"}
    keep = [
        r for r in records if r["code"] in wanted or any(w.startswith(r["code"]) for w in wanted if len(r["code"]) < 7)
    ]
    con = sqlite3.connect(":memory:", check_same_thread=False)
    _fill(con, {"schema_version": 1}, dict(header["systems"]), header["pcs_tables"], iter(keep), "t", False)
    lib = Library(con)
    axes = {a["axis"]: a["label"] for a in lib.lookup("3E01340").sections["axes"]}
    assert axes["Qualifier"] == "Influenza Vaccine"
    axes = {a["axis"]: a["label"] for a in lib.lookup("XNS4032").sections["axes"]}
    assert axes["Body Part"] == "Thoracic Vertebra"
