"""The common-codes ranking prior names only real, billable ICD-10-CM codes."""

from __future__ import annotations

from typing import Any

from codelookup.index import load_common_codes


def test_common_codes_exist_and_are_billable(lib: Any) -> None:
    common = load_common_codes()
    assert len(common) >= 200
    bad = []
    for code in sorted(common):
        rows = lib.details.find(code, ["ICD-10-CM"])
        if not rows or not rows[0].billable:
            bad.append(code)
    assert not bad, f"not billable ICD-10-CM codes: {bad}"


def test_common_code_leads_a_general_query(lib: Any) -> None:
    assert lib.search("hypertension").hits[0].code == "I10"
    assert lib.search("hyperlipidemia").hits[0].code == "E78.5"
