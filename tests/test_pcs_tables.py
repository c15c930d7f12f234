"""One PCS tables parser for the build and ``import``: every code decodes to its own row's labels.

Checked against the official FY2026 tables XML vendored unmodified in data/sources: an
independent walk of the XML gives each code's labels row by row, and every one of the 79,115
codes must decode to exactly those through the stored tables and overrides. Merging labels per
table (what the importer used to do) gets 116 codes wrong, e.g. 3E01340 and XNS4032. Then
``codelookup import icd10pcs`` of that file must give the bundled catalogue's labels, tables and
(with the official titles the build had) titles, code for code.
"""

from __future__ import annotations

import itertools
import sqlite3
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from codelookup.pcs import AXES, axis_label, catalogue_tables, parse_tables

REPO = Path(__file__).resolve().parents[1]
TABLES_2026 = REPO / "data" / "sources" / "pcs_fy2026" / "icd10pcs_tables_2026.xml"


@cache
def truth() -> dict[str, tuple[str, ...]]:
    """code -> its row's labels for characters 4-7, read straight from the XML."""
    if not TABLES_2026.is_file():
        pytest.skip(f"{TABLES_2026} is absent")
    out: dict[str, tuple[str, ...]] = {}
    for table in ET.parse(TABLES_2026).getroot().iter("pcsTable"):
        prefix = "".join(a.find("label").get("code", "") for a in table.findall("axis"))  # type: ignore[union-attr]
        for row in table.findall("pcsRow"):
            axes = sorted(row.findall("axis"), key=lambda a: int(a.get("pos", "0")))
            choices = [[(lab.get("code", ""), " ".join((lab.text or "").split())) for lab in a.findall("label")]
                       for a in axes]  # fmt: skip
            for combo in itertools.product(*choices):
                out[prefix + "".join(c for c, _ in combo)] = tuple(label for _, label in combo)
    return out


@cache
def parsed_tables() -> dict[str, Any]:
    if not TABLES_2026.is_file():
        pytest.skip(f"{TABLES_2026} is absent")
    return catalogue_tables(parse_tables(TABLES_2026)[1])


def test_every_fy2026_code_decodes_to_its_own_rows_labels() -> None:
    tables, expected = parsed_tables(), truth()
    assert len(expected) == 79_115
    wrong = [
        code for code, labels in expected.items() if tuple(axis_label(tables, code, axis) for axis in AXES) != labels
    ]
    assert wrong == []


def test_merging_labels_per_table_would_get_116_codes_wrong() -> None:
    # The old importer: one label per table character, the last row's winning.
    merged: dict[str, dict[str, dict[str, str]]] = {}
    expected = truth()
    for code, labels in expected.items():
        for axis, char, label in zip(AXES, code[3:], labels, strict=True):
            merged.setdefault(code[:3], {}).setdefault(axis, {})[char] = label
    wrong = sorted(
        code
        for code, labels in expected.items()
        if tuple(merged[code[:3]][axis][ch] for axis, ch in zip(AXES, code[3:], strict=True)) != labels
    )
    assert len(wrong) == 116
    assert {"3E01340", "XNS4032"} <= set(wrong)


@pytest.mark.parametrize(
    ("code", "axis", "label"),
    [("3E01340", "qualifier", "Influenza Vaccine"), ("XNS4032", "body_part", "Thoracic Vertebra")],
)
def test_examples_from_the_issue(code: str, axis: str, label: str) -> None:
    assert axis_label(parsed_tables(), code, axis) == label


@pytest.fixture(scope="module")
def tables_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layer an import of the vendored FY2026 tables writes (imported once for this module)."""
    from codelookup.importers import ImportKind, run_import

    if not TABLES_2026.is_file():
        pytest.skip(f"{TABLES_2026} is absent")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CODELOOKUP_DATA_DIR", str(tmp_path_factory.mktemp("pcs-import") / "data"))
        return run_import(ImportKind.ICD10PCS, TABLES_2026).layer_path


def test_the_import_shows_the_official_labels_on_the_page(tables_layer: Path) -> None:
    from codelookup.api import Library
    from codelookup.index import _fill
    from codelookup.layers import read_layer

    header, records = read_layer(tables_layer)
    wanted = {"3E01340", "XNS4032"}
    keep = [
        r for r in records if r["code"] in wanted or any(w.startswith(r["code"]) for w in wanted if len(r["code"]) < 7)
    ]
    con = sqlite3.connect(":memory:", check_same_thread=False)
    _fill(con, {"schema_version": 1}, dict(header["systems"]), header["pcs_tables"], iter(keep), "t", False)
    lib = Library(con)
    axes = {a["axis"]: a["label"] for a in lib.lookup("3E01340").sections["axes"]}
    assert axes["Qualifier"] == "Influenza Vaccine"
    axes = {a["axis"]: a["label"] for a in lib.lookup("XNS4032").sections["axes"]}
    assert axes["Body Part"] == "Thoracic Vertebra"


# -- import of the vendored file == the bundled build ------------------------------------------
@cache
def bundled() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The bundled catalogue's pcs_tables and its ICD-10-PCS records (skip if it is not built)."""
    from codelookup.catalogue import catalogue_path, open_catalogue
    from codelookup.errors import CatalogueError

    try:
        header, tables, records = open_catalogue(catalogue_path())
    except CatalogueError as exc:
        pytest.skip(f"no bundled catalogue: {exc}")
    if not (header.get("systems") or {}).get("ICD-10-PCS", {}).get("release", "").startswith("FY2026"):
        pytest.skip("the catalogue in use is not the bundled FY2026 build")
    return tables, {r["code"]: r for r in records if r["system"] == "ICD-10-PCS"}


def _seven(tables: dict[str, Any], code: str) -> tuple[str, ...]:
    table = tables[code[:3]]
    return (table["section"][1], table["body_system"][1], table["operation"][1],
            *(axis_label(tables, code, axis) for axis in AXES))  # fmt: skip


def _layer(kind_path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    from codelookup.layers import read_layer

    header, records = read_layer(kind_path)
    return header, {r["code"]: r for r in records}


def test_import_of_the_fy2026_tables_gives_the_bundled_labels(tables_layer: Path) -> None:
    bundled_tables, bundled_records = bundled()
    header, records = _layer(tables_layer)
    imported = header["pcs_tables"]
    live = sorted(c for c, r in bundled_records.items() if r["kind"] == "code" and r.get("status") != "deleted")
    assert len(live) == 79_115
    assert sorted(c for c, r in records.items() if r["kind"] == "code") == live
    wrong = [code for code in live if _seven(imported, code) != _seven(bundled_tables, code)]
    assert wrong == []
    # The stored shape is the same too: every table (labels, axis titles, definitions) and override.
    prefixes = {c[:3] for c in live}
    assert {k: imported[k] for k in prefixes} == {k: bundled_tables[k] for k in prefixes}
    assert imported["_overrides"] == bundled_tables["_overrides"]
    groups = {c: r["title"] for c, r in bundled_records.items() if r["kind"] != "code"}
    assert {c: r["title"] for c, r in records.items() if r["kind"] != "code"} == groups


def _order_line(number: int, code: str, title: str) -> str:
    return f"{number:05d} {code:<7} 1 {title[:60]:<60} {title}\n"


def test_import_titles_codes_without_official_title_as_the_build_does(data_dir: Path, tmp_path: Path) -> None:
    """Given the official titles the build had, an import of the release titles every code,
    new ones included (577 composed or sibling titles), exactly as the bundled catalogue."""
    from codelookup.importers import ImportKind, run_import

    if not TABLES_2026.is_file():
        pytest.skip(f"{TABLES_2026} is absent")
    _, bundled_records = bundled()
    codes = {c: r for c, r in bundled_records.items() if r["kind"] == "code" and r.get("status") != "deleted"}
    official = {c: r["title"] for c, r in codes.items() if r.get("title_source") != "composed"}
    composed = sorted(set(codes) - set(official))
    assert len(composed) == 577
    order = tmp_path / "icd10pcs_order_2026.txt"
    order.write_text("".join(_order_line(n, c, t) for n, (c, t) in enumerate(sorted(official.items()), 1)))
    run_import(ImportKind.ICD10PCS, order)
    header, records = _layer(run_import(ImportKind.ICD10PCS, TABLES_2026).layer_path)
    assert header["pcs_forms"] == ["order file", "tables XML"]
    assert "577 codes absent from the order file" in header["systems"]["ICD-10-PCS"]["notes"]
    assert {c: records[c]["title"] for c in codes} == {c: r["title"] for c, r in codes.items()}
    assert [c for c in composed if records[c].get("title_source") != "composed"] == []
