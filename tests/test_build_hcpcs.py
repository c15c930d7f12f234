"""HCPCS Level II January 2026, bundled from the vendored CMS zip, and how `show` presents it.

Expected values are read in the test straight from the zip's fixed-width file and record layout
(simple slicing, not the build's parser), so the build is checked against the source itself.
"""

from __future__ import annotations

import json
import random
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from codelookup.build import hcpcs, sources
from codelookup.cli import app
from codelookup.errors import CatalogueError
from codelookup.hcpcs_fields import BETOS, LAB_CERTIFICATION, TYPE_OF_SERVICE, explain
from codelookup.sections import HCPCS_KINDS, PAGE_SLUGS

REPO = Path(__file__).resolve().parents[1]
ZIP = REPO / "data" / "sources" / "hcpcs_2026_jan" / "january-2026-alpha-numeric-hcpcs-file.zip"
PAGES = REPO / "tests" / "fixtures" / "content_hcpcs"


def _member(pattern: str) -> str:
    with zipfile.ZipFile(ZIP) as zf:
        name = next(n for n in zf.namelist() if re.search(pattern, n))
        return zf.read(name).decode("latin-1")


@pytest.fixture(scope="module")
def source_titles() -> dict[str, str]:
    """Code -> long description, joined from the fixed-width lines (positions 12-91)."""
    titles: dict[str, list[str]] = {}
    for line in _member(r"_ANWEB_\d+\.txt$").splitlines():
        if line[10:11] in ("3", "4", "7", "8"):
            titles.setdefault(line[:5].strip(), []).append(line[11:91].strip())
    return {code: " ".join(p for p in parts if p) for code, parts in titles.items()}


@pytest.fixture(scope="module")
def release() -> tuple[hcpcs.Release, list[dict[str, Any]], dict[str, int]]:
    return hcpcs.load_release(ZIP)


def test_counts_match_the_release(release: Any, source_titles: dict[str, str]) -> None:
    rel, records, counts = release
    assert rel.label == "HCPCS Level II, January 2026"
    assert counts["codes"] == 8_623 and counts["modifiers"] == 383
    assert len(source_titles) == 8_623 + 383
    assert sum(r["kind"] == "code" for r in records) == 8_623
    assert sum(r["kind"] == "modifier" for r in records) == 383


def test_200_random_long_descriptions_match_the_source(release: Any, source_titles: dict[str, str]) -> None:
    by_code = {r["code"]: r for r in release[1] if r["kind"] in ("code", "modifier")}
    for code in random.Random(13).sample(sorted(source_titles), 200):
        assert by_code[code]["title"] == source_titles[code], code


def test_terminated_codes_are_kept_and_never_billable(release: Any) -> None:
    records = release[1]
    terminated = [r for r in records if r.get("status") == "terminated"]
    assert len(terminated) == release[2]["terminated"] > 0
    assert not [r for r in terminated if r["billable"]]
    doripenem = next(r for r in records if r["code"] == "J1267")
    assert doripenem["status"] == "terminated" and doripenem["hcpcs"]["termination_date"] == "2025-12-31"
    assert all(r["billable"] for r in records if r["kind"] == "code" and "status" not in r)


def test_groups_cover_the_hcpcs_ranges(release: Any) -> None:
    groups = {r["code"]: r["title"] for r in release[1] if r["kind"] == "section"}
    assert groups["A0021-A0999"].startswith("Transportation")
    assert "Durable medical equipment" in groups["E0100-E8002"]
    assert any(code.startswith("J0") and "Drugs" in title for code, title in groups.items())
    parents = {r["parent"] for r in release[1] if r["kind"] in ("code", "modifier")}
    assert parents <= set(groups)


def test_billing_fields_and_processing_note(release: Any) -> None:
    by_code = {r["code"]: r for r in release[1]}
    j1100 = by_code["J1100"]["hcpcs"]
    assert j1100["pricing"] == ["51"] and j1100["coverage"] == "D" and j1100["betos"] == "O1E"
    lines = explain(j1100)
    assert any(line.startswith("Pricing indicator") and "drug" in line for line in lines)
    with_note = next(r for r in release[1] if r.get("hcpcs", {}).get("processing_note") == "0088")
    assert with_note["hcpcs"]["processing_note_text"].startswith('"S" CODES ARE UNIQUE TEMPORARY CODES')
    assert any("Processing note 0088" in line for line in explain(with_note["hcpcs"]))


def test_every_layout_code_table_entry_is_explained() -> None:
    """BETOS, type-of-service and lab-certification codes of the record layout all have words."""
    layout = _member(r"recordlayout\.txt$")
    betos = set(re.findall(r"^\s{3}([A-Z][0-9][A-Z]?)\s*= ", layout, re.M))
    assert len(betos) > 100 and betos <= set(BETOS)
    tos_block = layout[layout.index("CMS_TYPE_SRVC_TB") :]
    tos = set(re.findall(r"^\s{2}([0-9A-Z]) = ", tos_block, re.M))
    assert len(tos) > 30 and tos <= set(TYPE_OF_SERVICE)
    lab_block = layout[layout.index("HCPCS Lab Certification Code") : layout.index("HCPCS Cross Reference Code")]
    labs = set(re.findall(r"(\d{3}) = ", lab_block))
    assert len(labs) > 25 and labs == set(LAB_CERTIFICATION)


# --- pages ------------------------------------------------------------------------------------


def test_page_attaches_to_the_official_record(release: Any) -> None:
    records = [dict(r) for r in release[1]]
    assert hcpcs.attach_pages(records, PAGES) == 1
    rec = next(r for r in records if r["code"] == "G0439")
    assert rec["title"].startswith("Annual wellness visit, includes a personalized prevention plan")
    assert "annual wellness visit" in rec["terms"] and rec["page_kind"] == "service"
    assert list(rec["sections"]) == sorted([*PAGE_SLUGS, "similar_codes"])


def _page(tmp_path: Path, kind: str, code: str, sections: dict[str, Any]) -> Path:
    lines = ["[family]", 'id = "t"', 'title = "T"', f'kind = "{kind}"', "[[codes]]", f'code = "{code}"',
             'title = "A thing"', "keywords = []", "[codes.sections]"]  # fmt: skip
    for slug, value in sections.items():
        lines.append(f"{slug} = {json.dumps(value)}")
    (tmp_path / "t.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def _sections(kind: str) -> dict[str, Any]:
    from codelookup.sections import BY_SLUG, Shape

    return {s: ("Text." if BY_SLUG[s].shape is Shape.TEXT else ["Item."]) for s in HCPCS_KINDS[kind]}


def test_page_rules(release: Any, tmp_path: Path) -> None:
    records = [dict(r) for r in release[1]]
    assert hcpcs.attach_pages(records, _page(tmp_path, "supply", "A4253", _sections("supply"))) == 1
    extra = {**_sections("supply"), "recovery": ["Item."]}
    with pytest.raises(CatalogueError, match="section 'recovery' does not apply to kind 'supply'"):
        hcpcs.attach_pages(records, _page(tmp_path, "supply", "A4253", extra))
    with pytest.raises(CatalogueError, match=r"HCPCS content t\.toml code E0601: missing section"):
        hcpcs.attach_pages(records, _page(tmp_path, "equipment", "E0601", _sections("supply")))
    with pytest.raises(CatalogueError, match="kind must be one of"):
        hcpcs.attach_pages(records, _page(tmp_path, "gadget", "E0601", _sections("supply")))
    with pytest.raises(CatalogueError, match="is terminated"):
        hcpcs.attach_pages(records, _page(tmp_path, "drug", "J1267", _sections("drug")))
    with pytest.raises(CatalogueError, match="not a code of the bundled HCPCS release"):
        hcpcs.attach_pages(records, _page(tmp_path, "drug", "J0000", _sections("drug")))


def test_kinds_omit_only_what_does_not_apply() -> None:
    assert HCPCS_KINDS["service"] == PAGE_SLUGS
    for slugs in HCPCS_KINDS.values():
        assert {"name", "summary", "medical_policies"} <= set(slugs) <= set(PAGE_SLUGS)


# --- show and browse on the bundled catalogue -------------------------------------------------


def _show(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(app, ["show", *args, "--json"])
    return json.loads(result.stdout)


def test_show_j1100_is_hcpcs_dexamethasone_first(runner: CliRunner) -> None:
    doc = _show(runner, "J1100")
    first, second = doc["records"]
    assert first["system"] == "HCPCS" and "dexamethasone sodium phosphate" in first["title"]
    assert second["system"] == "ICD-10-CM" and second["code"] == "J11.00"
    assert any(line.startswith("Pricing indicator") for line in first["sections"]["cms_fields"])
    assert _show(runner, "J11.00")["records"][0]["system"] == "ICD-10-CM"


def test_show_29888_says_cpt_without_a_page(runner: CliRunner) -> None:
    result = runner.invoke(app, ["show", "29888"])
    assert result.exit_code == 1
    assert "29888 is a CPT code without a page here" in result.stderr
    assert "licensed by the AMA" in result.stderr and "codelookup import cpt" in result.stderr


def test_show_deleted_pcs_code_is_not_billable(runner: CliRunner) -> None:
    rec = _show(runner, "0SG604Z")["records"][0]
    assert rec["system"] == "ICD-10-PCS" and rec["billable"] is False
    assert rec["billable_reason"].startswith("not billable: deleted in FY2026")
    assert "deleted in FY2026" in rec["sections"]["release_status"]


def test_show_pcs_shaped_code_names_the_release(runner: CliRunner) -> None:
    result = runner.invoke(app, ["show", "0SG6040"])
    assert result.exit_code == 1 and "not in ICD-10-PCS FY2026" in result.stderr


def test_show_terminated_hcpcs_code(runner: CliRunner) -> None:
    rec = _show(runner, "J1267")["records"][0]
    assert rec["billable"] is False and rec["sections"]["release_status"].startswith("terminated 2025-12-31")


def test_show_new_pcs_code_says_title_is_composed(runner: CliRunner) -> None:
    rec = _show(runner, "071J0Z4")["records"][0]
    assert rec["billable"] is True and "composed" in rec["sections"]["release_status"]
    assert [a["label"] for a in rec["sections"]["axes"]][:3] == ["Medical and Surgical",
                                                                 "Lymphatic and Hemic Systems", "Bypass"]  # fmt: skip


def test_show_imaging_code_has_real_axis_labels(runner: CliRunner) -> None:
    axes = _show(runner, "BW00ZZZ")["records"][0]["sections"]["axes"]
    assert [a["axis"] for a in axes][:5] == ["Section", "Body System", "Type", "Body Part", "Contrast"]
    assert axes[0]["label"] == "Imaging" and all(a["label"] for a in axes)


def test_browse_hcpcs_lists_every_code(runner: CliRunner) -> None:
    result = runner.invoke(app, ["browse", "HCPCS", "--all", "--json"])
    doc = json.loads(result.stdout)
    assert doc["count"] >= 8_600
    top = runner.invoke(app, ["browse", "HCPCS", "--json"])
    assert "A0021-A0999" in {r["code"] for r in json.loads(top.stdout)["results"]}


def test_systems_names_the_release(runner: CliRunner) -> None:
    doc = json.loads(runner.invoke(app, ["systems", "--json"]).stdout)
    by_name = {s["name"]: s for s in doc["results"]}
    assert by_name["HCPCS"]["release"] == "HCPCS Level II, January 2026"
    assert by_name["ICD-10-PCS"]["release"].startswith("FY2026")


def test_vendored_zip_is_what_the_build_reads() -> None:
    assert sources.vendored(sources.HCPCS_ZIP) == ZIP
