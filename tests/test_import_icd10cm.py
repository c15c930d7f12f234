"""ICD-10-CM imports reuse the catalogue build's tabular parser."""

from __future__ import annotations

import importlib.util
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
SAMPLE = FIXTURES / "icd10cm_tabular_2030_sample.xml"

needs_build_parser = pytest.mark.skipif(
    importlib.util.find_spec("codelookup.build.icd10cm") is None,
    reason="codelookup.build.icd10cm (the build's tabular parser) is not present",
)


pytestmark = pytest.mark.usefixtures("data_dir")  # every test imports into its own layer folder


@needs_build_parser
def test_tabular_xml_becomes_a_replace_layer() -> None:
    result = run_import(ImportKind.ICD10CM, SAMPLE, force=True)
    header, records = read_layer(result.layer_path)
    assert header["kind"] == "icd10cm" and header["mode"] == "replace"
    assert header["systems"]["ICD-10-CM"]["release"] == "FY2030"
    assert header["systems"]["ICD-10-CM"]["source_file"] == SAMPLE.name
    recs = {r["code"]: r for r in records}
    assert recs["A00.0"]["parent"] == "A00" and recs["A00.0"]["billable"] is True
    assert recs["A00"]["billable"] is False
    assert recs["A09"]["sections"]["excludes1"] == [
        "example condition that is coded elsewhere (K52.9)"
    ]
    assert result.counts["codes"] == 3


@needs_build_parser
def test_not_a_tabular_file(tmp_path: Path) -> None:
    target = tmp_path / "other.xml"
    target.write_text("<?xml version='1.0'?>\n<something/>\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"other\.xml: not a usable ICD-10-CM tabular file"):
        run_import(ImportKind.ICD10CM, target, force=True)


def test_without_build_parser_the_error_is_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "codelookup.build.icd10cm", None)
    with pytest.raises(ImportFileError, match="not supported in this version yet"):
        run_import(ImportKind.ICD10CM, SAMPLE, force=True)


@needs_build_parser
def test_real_tabular_from_the_build_package() -> None:
    package = pytest.importorskip(
        "simple_icd_10_cm", reason="simple-icd-10-cm (build extra) ships a real tabular XML"
    )
    found = sorted((Path(package.__file__).parent / "data").glob("*tabular*.xml"))
    if not found:
        pytest.skip("simple_icd_10_cm ships no tabular XML in this version")
    result = run_import(ImportKind.ICD10CM, found[-1], force=True)
    header, records = read_layer(result.layer_path)
    assert result.counts["codes"] > 70000
    assert header["systems"]["ICD-10-CM"]["release"].startswith("FY")
    recs = {r["code"]: r for r in records}
    assert recs["E11.621"]["billable"] is True and recs["E11.621"]["parent"] == "E11.62"
