"""ICD-10-PCS imports from the CMS order file and the CMS tables XML."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).parents[1]
if str(REPO_ROOT / "src") not in sys.path:  # a checkout without the package installed
    sys.path.insert(0, str(REPO_ROOT / "src"))

from codelookup.errors import ImportFileError  # noqa: E402
from codelookup.importers import ImportKind, run_import  # noqa: E402
from codelookup.layers import read_layer  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "import"
ORDER = FIXTURES / "icd10pcs_order_2030_sample.txt"
TABLES = FIXTURES / "icd10pcs_tables_2030_sample.xml"


pytestmark = pytest.mark.usefixtures("data_dir")  # every test imports into its own layer folder


def _load(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    header, records = read_layer(path)
    return header, {r["code"]: r for r in records}


def _check_hierarchy(recs: dict[str, dict[str, Any]]) -> None:
    for code, rec in recs.items():
        assert rec["system"] == "ICD-10-PCS"
        expected_kind = {1: "section", 2: "body_system", 3: "table", 7: "code"}[len(code)]
        assert rec["kind"] == expected_kind
        assert rec["billable"] is (len(code) == 7)
        if len(code) == 1:
            assert rec["parent"] is None
        else:
            parent = code[:3] if len(code) == 7 else code[:-1]
            assert rec["parent"] == parent and parent in recs


def test_order_file() -> None:
    result = run_import(ImportKind.ICD10PCS, ORDER, force=True)
    assert result.release == "FY2030"
    header, recs = _load(result.layer_path)
    assert header["mode"] == "replace"
    assert result.counts["codes"] == 8
    _check_hierarchy(recs)
    assert recs["0SRC0J9"]["title"] == (
        "Replacement of Right Knee Joint with Synthetic Substitute, Cemented, Open Approach"
    )
    assert recs["0SRC0J9"]["terms"] == [
        "Replace of R Knee Jt with Synth Sub, Cement, Open Approach"
    ]
    assert recs["0DTJ0ZZ"].get("terms") is None  # short title equal to long title adds nothing
    assert recs["0"]["title"] == "Medical and Surgical"
    assert recs["0S"]["title"] == "Lower Joints"
    assert recs["BW"]["title"] == "Anatomical Regions"
    assert recs["0SR"]["title"] == "Medical and Surgical, Lower Joints, Replacement"
    assert header["pcs_tables"] == {}


def test_tables_xml_enumerates_every_row() -> None:
    seen: list[tuple[int, int]] = []
    result = run_import(ImportKind.ICD10PCS, TABLES, progress=lambda d, t: seen.append((d, t)), force=True)
    assert result.counts == {
        "codes": 13,
        "tables": 3,
        "rows": 4,
        "sections": 2,
        "records": 2 + 3 + 3 + 13,
        "billable": 13,
    }
    assert seen[-1][0] == seen[-1][1] == TABLES.stat().st_size
    assert len(seen) <= 202  # throttled: about 200 updates whatever the file size
    header, recs = _load(result.layer_path)
    _check_hierarchy(recs)
    expected = {"0SR" + "".join(p) for p in itertools.product("CD", "0", "J", "9AZ")} | {
        "0SRC0KZ",
        "0SRD0KZ",
        "0DTJ0ZZ",
        "0DTJ4ZZ",
        "0DTJ8ZZ",
        "BW24ZZZ",
        "BW25ZZZ",
    }
    assert {c for c in recs if len(c) == 7} == expected
    # No official titles in the XML: composed in CMS's shape, as the build composes new codes'.
    assert recs["0SRC0J9"]["title"] == (
        "Replacement of Knee Joint, Right with Synthetic Substitute, Open Approach, Cemented"
    )
    assert recs["0SRC0J9"]["title_source"] == "composed"
    assert "added_in" not in recs["0SRC0J9"]  # not known to be new: there is no earlier release
    assert recs["0DTJ4ZZ"]["title"] == "Resection of Appendix, Percutaneous Endoscopic Approach"
    assert recs["BW24ZZZ"]["title"] == "Computerized Tomography (CT Scan) of Chest and Abdomen"  # = CMS's
    assert recs["0S"]["title"] == "Lower Joints"
    assert recs["0SR"]["title"] == "Medical and Surgical, Lower Joints, Replacement"
    assert "not CMS's official long titles" in header["systems"]["ICD-10-PCS"]["notes"]
    assert header["pcs_forms"] == ["tables XML"]

    table = header["pcs_tables"]["0SR"]
    assert table["section"] == ["0", "Medical and Surgical"]
    assert table["body_system"] == ["S", "Lower Joints"]
    assert table["operation"][:2] == ["R", "Replacement"]
    assert table["operation"][2].startswith("Putting in material")
    assert table["body_part"] == {"C": "Knee Joint, Right", "D": "Knee Joint, Left"}
    assert table["device"] == {"J": "Synthetic Substitute", "K": "Nonautologous Tissue Substitute"}
    assert table["qualifier"] == {"9": "Cemented", "A": "Uncemented", "Z": "No Qualifier"}
    assert header["pcs_tables"]["BW2"]["operation"] == [
        "2",
        "Computerized Tomography (CT Scan)",
        "",
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("icd10pcs_order_2030_broken_sequence.txt", ":5: wrong sequence: order number 3 after 4"),
        ("icd10pcs_order_2030_broken_flag.txt", ":3: bad header flag '7'"),
        (
            "icd10pcs_tables_2030_broken_count.xml",
            ":60: in <pcsTable>: row of table 0DT declares 4",
        ),
        ("icd10pcs_tables_2030_broken_truncated.xml", ":76: not well-formed XML"),
    ],
)
def test_broken_files_keep_previous_layer(name: str, message: str, data_dir: Path) -> None:
    good = run_import(ImportKind.ICD10PCS, ORDER, force=True).layer_path
    before = good.read_bytes()
    with pytest.raises(ImportFileError) as info:
        run_import(ImportKind.ICD10PCS, FIXTURES / name, force=True)
    assert info.value.message.startswith(name + message)
    assert good.read_bytes() == before
    assert sorted(p.name for p in data_dir.iterdir()) == ["icd10pcs.json"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("00001 0SRC0J9 1 x\n", ":1: truncated line"),
        ("0000X 0SRC0J9 1 " + "s" * 60 + " long\n", ":1: order number '0000X' is not a number"),
        ("00001 0SRCOJ9 1 " + "s" * 60 + " long\n", ":1: bad ICD-10-PCS code '0SRCOJ9'"),
        ("00001 0SRC0J  1 " + "s" * 60 + " long\n", ":1: valid code '0SRC0J' is not 7"),
    ],
)
def test_bad_order_lines(tmp_path: Path, text: str, message: str) -> None:
    target = tmp_path / "icd10pcs_order_2030.txt"
    target.write_text(text, encoding="ascii")
    with pytest.raises(ImportFileError) as info:
        run_import(ImportKind.ICD10PCS, target, force=True)
    assert message in info.value.message


def test_wrong_xml_root(tmp_path: Path) -> None:
    target = tmp_path / "x.xml"
    target.write_text("<?xml version='1.0'?>\n<ICD10CM.tabular>\n</ICD10CM.tabular>\n")
    with pytest.raises(ImportFileError, match=r"x.xml:2: root element is <ICD10CM.tabular>"):
        run_import(ImportKind.ICD10PCS, target, force=True)


def test_duplicate_code_across_rows(tmp_path: Path) -> None:
    text = TABLES.read_text(encoding="utf-8").replace('<label code="K">', '<label code="J">')
    target = tmp_path / "icd10pcs_tables_2030.xml"
    target.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFileError, match="code 0SRC0JZ is listed twice"):
        run_import(ImportKind.ICD10PCS, target, force=True)


def test_tables_then_order_file_keeps_axes_and_gains_official_titles() -> None:
    run_import(ImportKind.ICD10PCS, TABLES, force=True)
    result = run_import(ImportKind.ICD10PCS, ORDER, force=True)
    header, recs = _load(result.layer_path)
    assert header["pcs_forms"] == ["order file", "tables XML"]
    assert set(header["pcs_tables"]) == {"0SR", "0DT", "BW2"}
    assert {c for c in recs if len(c) == 7} == {
        "0SRC0J9",
        "0SRC0JA",
        "0SRC0JZ",
        "0SRD0J9",
        "0SG0070",
        "0DTJ4ZZ",
        "0DTJ0ZZ",
        "BW24ZZZ",
    }  # the file imported last decides which codes exist
    assert recs["0SRC0J9"]["title"].startswith("Replacement of Right Knee Joint")
    assert recs["0S"]["title"] == "Lower Joints"
    _check_hierarchy(recs)


def test_order_file_then_tables_keeps_official_titles() -> None:
    run_import(ImportKind.ICD10PCS, ORDER, force=True)
    result = run_import(ImportKind.ICD10PCS, TABLES, force=True)
    header, recs = _load(result.layer_path)
    assert header["pcs_forms"] == ["order file", "tables XML"]
    assert len([c for c in recs if len(c) == 7]) == 13
    assert recs["0SRC0J9"]["title"].startswith("Replacement of Right Knee Joint")
    assert recs["0SRC0J9"]["terms"] == [
        "Replace of R Knee Jt with Synth Sub, Cement, Open Approach"
    ]
    # Not in the order file: 0SRD0J9's official title with its own qualifier swapped in, as the
    # build titles new codes; 0SRD0KZ has no sibling that fits, so its title is composed.
    assert recs["0SRD0JA"]["title"] == (
        "Replacement of Left Knee Joint with Synthetic Substitute, Uncemented, Open Approach"
    )
    assert recs["0SRD0JA"]["title_source"] == "composed"
    assert recs["0SRD0KZ"]["title"] == (
        "Replacement of Knee Joint, Left with Nonautologous Tissue Substitute, Open Approach"
    )
    assert "title_source" not in recs["0SRC0J9"]
    assert "6 codes absent from the order file" in header["systems"]["ICD-10-PCS"]["notes"]
    assert "0SR" in header["pcs_tables"]


def test_different_releases_are_not_mixed(tmp_path: Path) -> None:
    run_import(ImportKind.ICD10PCS, TABLES, force=True)
    older = tmp_path / "icd10pcs_order_2029.txt"
    older.write_bytes(ORDER.read_bytes())
    header, _ = _load(run_import(ImportKind.ICD10PCS, older, force=True).layer_path)
    assert header["pcs_forms"] == ["order file"]
    assert header["pcs_tables"] == {}
    assert header["systems"]["ICD-10-PCS"]["release"] == "FY2029"
