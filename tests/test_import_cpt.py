"""Licensed CPT descriptor files become an overlay layer of official_descriptor sections."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).parents[1]
if str(REPO_ROOT / "src") not in sys.path:  # a checkout without the package installed
    sys.path.insert(0, str(REPO_ROOT / "src"))

from codelookup.errors import ImportFileError  # noqa: E402
from codelookup.importers import ImportKind, run_import  # noqa: E402
from codelookup.layers import read_layer  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "import"


pytestmark = pytest.mark.usefixtures("data_dir")  # every test imports into its own layer folder


def test_tab_separated_with_header() -> None:
    result = run_import(ImportKind.CPT, FIXTURES / "cpt_descriptors_sample.tsv")
    header, records = read_layer(result.layer_path)
    assert header["mode"] == "overlay" and header["kind"] == "cpt"
    assert [r["code"] for r in records] == ["99213", "62264", "0001F", "0042T"]
    first = records[0]
    assert first == {
        "code": "99213",
        "system": "CPT",
        "title": "Licensed descriptor placeholder A for a test (not AMA text)",
        "billable": True,
        "kind": "code",
        "parent": None,
        "sections": {"official_descriptor": first["title"]},
    }
    assert header["systems"]["CPT"]["counts"] == {"codes": 4, "records": 4, "billable": 4}
    assert header["systems"]["CPT"]["release"].startswith("not stated in the file (imported 2")


def test_csv_with_quoted_fields() -> None:
    result = run_import(ImportKind.CPT, FIXTURES / "cpt_descriptors_sample.csv")
    _, records = read_layer(result.layer_path)
    titles = {r["code"]: r["title"] for r in records}
    assert titles["99213"] == "Licensed descriptor placeholder A, with a comma (not AMA text)"
    assert titles["62264"] == 'Placeholder B with "quotes" inside'
    assert titles["0001F"] == "Placeholder C unquoted"


def test_bad_code_names_line_and_keeps_previous_layer() -> None:
    good = run_import(ImportKind.CPT, FIXTURES / "cpt_descriptors_sample.tsv").layer_path
    before = good.read_bytes()
    with pytest.raises(ImportFileError) as info:
        run_import(ImportKind.CPT, FIXTURES / "cpt_descriptors_broken_code.tsv")
    assert info.value.message.startswith("cpt_descriptors_broken_code.tsv:2: bad CPT code '9921'")
    assert good.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("99213\t\n", ":1: 99213 has an empty descriptor"),
        ("99213\tOne\n99213\tTwo\n", ":2: 99213 appears twice with different descriptors"),
        ("99213\n", ":1: expected two columns: code and descriptor"),
        ("9921A,Letter in the wrong place\n", ":1: bad CPT code '9921A'"),
        ("99213,a,b\n", ":1: expected two columns but found 3"),
        ("code,descriptor\n", "no CPT codes found"),
    ],
)
def test_invalid_rows(tmp_path: Path, text: str, reason: str) -> None:
    target = tmp_path / "mine.txt"
    target.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFileError) as info:
        run_import(ImportKind.CPT, target)
    assert reason in info.value.message


def test_identical_duplicates_are_tolerated(tmp_path: Path) -> None:
    target = tmp_path / "mine.tsv"
    target.write_text("99213\tSame\n99213\tSame\n", encoding="utf-8")
    assert run_import(ImportKind.CPT, target).record_count == 1
