"""Imports of real CMS releases kept in ../shared/eval (read-only; never copied into the repo).

Each test skips with its reason when the evaluation file is absent, e.g. in a fresh checkout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).parents[1]
if str(REPO_ROOT / "src") not in sys.path:  # a checkout without the package installed
    sys.path.insert(0, str(REPO_ROOT / "src"))

from codelookup.importers import ImportKind, run_import  # noqa: E402
from codelookup.layers import list_layers, read_layer  # noqa: E402

EVAL = REPO_ROOT.parent / "shared" / "eval"
HCPCS_JUL_2025 = EVAL / "hcpcs_2025_jul" / "HCPC2025_JUL_ANWEB_v3.xlsx"
PCS_TABLES_2026 = EVAL / "pcs_fy2026" / "icd10pcs_tables_2026.xml"
PCS_TABLES_2023 = EVAL / "pcs_fy2023_paul" / "icd10pcs_tables_2023.xml"


pytestmark = pytest.mark.usefixtures("data_dir")  # every test imports into its own layer folder


def _require(path: Path) -> None:
    if not path.is_file():
        pytest.skip(f"evaluation file {path} is absent")


def test_hcpcs_july_2025_xlsx() -> None:
    _require(HCPCS_JUL_2025)
    pytest.importorskip("openpyxl", reason="openpyxl (test extra) is needed to read .xlsx")
    calls: list[tuple[int, int]] = []
    result = run_import(
        ImportKind.HCPCS, HCPCS_JUL_2025, progress=lambda d, t: calls.append((d, t)), force=True
    )
    assert result.counts["codes"] == 8387  # RECID 3
    assert result.counts["modifiers"] == 383  # RECID 7
    assert result.release == "2025 July"
    assert calls[-1][0] == calls[-1][1]
    header, records = read_layer(result.layer_path)
    recs = {r["code"]: r for r in records}
    for code in ("A4206", "E0100", "J0120", "L3000", "G0008"):
        assert recs[code]["kind"] == "code" and recs[code]["billable"] is True
        group = recs[code]["parent"]  # the bundled release's range, spanning the file's codes
        first, _, last = group.partition("-")
        assert recs[group]["kind"] == "section" and first <= code <= last
        assert len(recs[code]["title"]) > 10
    for modifier in ("LT", "RT", "GA"):
        assert recs[modifier]["kind"] == "modifier" and recs[modifier]["parent"] == "MODIFIERS"
    assert all(r["parent"] is None or r["parent"] in recs for r in records)
    (info,) = list_layers()
    assert info.record_count == len(records)
    assert header["systems"]["HCPCS"]["source_file"] == HCPCS_JUL_2025.name


def _check_pcs(path: Path, expected_codes: int, release: str) -> None:
    result = run_import(ImportKind.ICD10PCS, path, force=True)
    assert result.counts["codes"] == expected_codes
    assert result.counts["sections"] == 17
    assert result.release == release
    header, records = read_layer(result.layer_path)
    codes = [r for r in records if r["kind"] == "code"]
    assert len(codes) == expected_codes
    assert len([k for k in header["pcs_tables"] if not k.startswith("_")]) == result.counts["tables"]
    assert "_overrides" in header["pcs_tables"]  # per-row labels: some codes' rows differ from the table's first
    table = header["pcs_tables"]["0SR"]
    assert table["section"] == ["0", "Medical and Surgical"]
    assert table["operation"][:2] == ["R", "Replacement"] and table["operation"][2]
    assert "C" in table["body_part"]
    recs = {r["code"]: r for r in records}
    assert recs["0SRC0J9"]["parent"] == "0SR"


def test_pcs_fy2026_tables_xml() -> None:
    _require(PCS_TABLES_2026)
    _check_pcs(PCS_TABLES_2026, 79115, "FY2026")


def test_pcs_fy2023_tables_xml() -> None:
    _require(PCS_TABLES_2023)
    _check_pcs(PCS_TABLES_2023, 78530, "FY2023")
