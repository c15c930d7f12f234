"""Reading CMS's MS-DRG v43 CC/MCC tables (6I, 6J, 6K) into the catalogue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from codelookup.build import msdrg, sources
from codelookup.build.writer import read_header
from codelookup.errors import CatalogueError

SIX_K = """TABLE 6K - COMPLETE LIST OF CC EXCLUSIONS

K Part 1: List of CC and Major CC Codes
 I10 Dx  Lev PDX Exclusions   ICD-10-CM Description
 A000    CC  0002:2 codes     Cholera due to Vibrio cholerae 01, biovar cholerae
 A5440   CC  0126:1,070 codes Gonococcal infection of musculoskeletal system, unspecified
 D89833  CC  No Excl          Cytokine release syndrome, grade 3
 I469    MCC 0003:1 code      Cardiac arrest, cause unspecified

PDX collection 0002
  A000    Cholera due to Vibrio cholerae 01, biovar cholerae
  A001    Cholera due to Vibrio cholerae 01, biovar eltor

PDX collection 0003
  I469    Cardiac arrest, cause unspecified



K Part 2: Codes that are CC or Major CC only if patient discharged alive

  I469    Cardiac arrest, cause unspecified

K Part 3: Secondary Diagnosis CC/MCC Severity Exclusions in Select MS-DRGs
  A000    not a Part 2 code
"""


def test_parses_levels_collections_and_part_2() -> None:
    excl = msdrg.Exclusions(SIX_K)
    assert excl.level == {"A00.0": "CC", "A54.40": "CC", "D89.833": "CC", "I46.9": "MCC"}
    assert excl.collection == {"A00.0": "0002", "A54.40": "0126", "I46.9": "0003"}
    assert excl.counts["0126"] == 1070  # thousands separator
    assert excl.collections["0002"] == ["A00.0", "A00.1"]
    assert excl.alive_only == {"I46.9"}


def test_annotate_writes_fields_and_refuses_disagreeing_tables() -> None:
    excl = msdrg.Exclusions(SIX_K.replace("0126:1,070 codes", "0002:2 codes"))
    records: list[dict[str, Any]] = [
        {"system": "ICD-10-CM", "code": c, "billable": True} for c in ("A00.0", "A54.40", "D89.833", "I46.9", "E11.9")
    ]
    records.append({"system": "ICD-10-CM", "code": "E11", "billable": False})
    tables, counts = msdrg.annotate(records, {"I46.9"}, {"A00.0", "A54.40", "D89.833"}, excl)
    by = {r["code"]: r for r in records}
    assert by["A00.0"]["cc_mcc"] == "CC" and by["A00.0"]["cc_exclusion"] == "0002"
    assert by["D89.833"]["cc_mcc"] == "CC" and "cc_exclusion" not in by["D89.833"]
    assert by["I46.9"]["cc_alive_only"] is True and by["E11.9"]["cc_mcc"] == "non-CC"
    assert "cc_mcc" not in by["E11"]
    assert tables == {"_ccx_0002": ["A00.0", "A00.1"], "_ccx_0003": ["I46.9"]}
    assert counts == {"cc_mcc_mcc": 1, "cc_mcc_cc": 3, "cc_mcc_non_cc": 1}
    with pytest.raises(CatalogueError, match="disagree"):
        msdrg.annotate(records, set(), {"A00.0"}, excl)
    with pytest.raises(CatalogueError, match="does not list"):
        msdrg.annotate(records, {"I46.9"}, {"A00.0", "A54.40", "D89.833"}, msdrg.Exclusions(SIX_K))


def test_shipped_catalogue_counts_equal_the_cms_lists() -> None:
    try:
        mcc = msdrg.read_list(sources.locate(msdrg.MCC_LIST).path)
        cc = msdrg.read_list(sources.locate(msdrg.CC_LIST).path)
    except CatalogueError as exc:
        pytest.skip(f"drg package not installed: {exc}")
    counts = read_header(Path(__file__).parents[1] / "data" / "codes.json")["systems"]["ICD-10-CM"]["counts"]
    # every code on the FY2026 lists is a billable code of the bundled release
    assert counts["cc_mcc_mcc"] == len(mcc) == 3_354
    assert counts["cc_mcc_cc"] == len(cc) == 15_078
    assert counts["cc_mcc_mcc"] + counts["cc_mcc_cc"] + counts["cc_mcc_non_cc"] == counts["billable"]
