"""ICD-10-CM parsing: a small hand-made tabular for the rules, the real one against its sources."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).parents[1]
if importlib.util.find_spec("codelookup") is None:  # checkout without an installed package
    sys.path.insert(0, str(REPO_ROOT / "src"))

from codelookup.build import icd10cm, sources  # noqa: E402
from codelookup.errors import CatalogueError  # noqa: E402

MINI_TABULAR = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.tabular>
  <version>2099</version>
  <chapter>
    <name>19</name>
    <desc>Injury (S00-T88)</desc>
    <sectionIndex><sectionRef id="S00-S09" first="S00" last="S09">Head</sectionRef></sectionIndex>
    <section id="S00-S99"><desc>Empty heading block (S00-S99)</desc></section>
    <section id="S00-S09">
      <desc>Injuries to the head (S00-S09)</desc>
      <diag>
        <name>S06</name>
        <desc>Intracranial injury</desc>
        <notes><note>The appropriate 7th character is to be added</note></notes>
        <sevenChrNote><note>Use these 7th characters:</note></sevenChrNote>
        <sevenChrDef>
          <extension char="A">initial encounter</extension>
          <note>	first visit</note>
          <extension char="D">subsequent encounter</extension>
          <extension char="S">sequela</extension>
        </sevenChrDef>
        <diag>
          <name>S06.1</name>
          <desc>Traumatic cerebral edema</desc>
          <diag>
            <name>S06.1X7</name>
            <desc>Edema with death</desc>
          </diag>
        </diag>
        <diag>
          <name>S06.2</name>
          <desc>Diffuse injury</desc>
          <excludes1><note>focal injury (S06.3-)</note></excludes1>
          <sevenChrDef>
            <extension char="A">first</extension>
          </sevenChrDef>
        </diag>
      </diag>
    </section>
    <section id="T07">
      <desc>Unspecified multiple injuries (T07)</desc>
      <diag>
        <name>T07</name>
        <desc>Unspecified multiple injuries</desc>
        <inclusionTerm><note>Multiple injuries NOS</note></inclusionTerm>
      </diag>
    </section>
  </chapter>
</ICD10CM.tabular>
"""


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    path = tmp_path_factory.mktemp("cm") / "tabular.xml"
    path.write_text(MINI_TABULAR, encoding="utf-8")
    return icd10cm.parse_tabular(path)


def by_code(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in records}


def test_mini_order_kinds_and_parents(mini: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    _, records = mini
    assert [(r["code"], r["kind"], r["parent"]) for r in records] == [
        ("19", "chapter", None),
        ("S00-S99", "block", "19"),
        ("S00-S09", "block", "19"),
        ("S06", "category", "S00-S09"),
        ("S06.1", "subcategory", "S06"),
        ("S06.1X7", "subcategory", "S06.1"),
        ("S06.1X7A", "code", "S06.1X7"),  # D and S are excluded by the S06 rule
        ("S06.2", "subcategory", "S06"),
        ("S06.2XXA", "code", "S06.2"),  # own sevenChrDef overrides the inherited one
        ("T07-T07", "block", "19"),  # one-category block gets a unique range code
        ("T07", "category", "T07-T07"),
    ]


def test_mini_billable_and_titles(mini: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    system, records = mini
    recs = by_code(records)
    assert [r["code"] for r in records if r["billable"]] == ["S06.1X7A", "S06.2XXA", "T07"]
    assert recs["S06.1X7A"]["title"] == "Edema with death, initial encounter"
    assert recs["S06.2XXA"]["title"] == "Diffuse injury, first"
    assert recs["S06.1X7A"]["chapter"] == "19" and recs["S06.1X7A"]["block"] == "S00-S09"
    assert system["counts"]["billable"] == 3
    assert system["counts"]["records"] == len(records)
    assert system["release"] == "FY2099"


def test_mini_sections_only_where_declared(
    mini: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    recs = by_code(mini[1])
    s06 = recs["S06"]["sections"]
    assert s06["seventh_characters"] == {  # the note after A is its official alternate wording
        "A": "initial encounter / first visit",
        "D": "subsequent encounter",
        "S": "sequela",
    }
    assert s06["notes"] == [
        "The appropriate 7th character is to be added",
        "Use these 7th characters:",
    ]
    assert "sections" not in recs["S06.1"]
    assert "sections" not in recs["S06.1X7A"]
    assert recs["S06.2"]["sections"]["excludes1"] == ["focal injury (S06.3-)"]
    assert recs["T07"]["sections"] == {"inclusion_terms": ["Multiple injuries NOS"]}


def test_rejects_other_xml(tmp_path: Path) -> None:
    path = tmp_path / "x.xml"
    path.write_text("<other/>", encoding="utf-8")
    with pytest.raises(CatalogueError):
        icd10cm.parse_tabular(path)
    with pytest.raises(CatalogueError):
        icd10cm.parse_tabular(tmp_path / "missing.xml")


# --- the bundled FY2026 tabular against simple_icd_10_cm and CDC's code list -----------------

class _Lazy:
    """simple_icd_10_cm, imported on first use: importing it parses the whole tabular (1.5 s),
    which every xdist worker would otherwise pay while collecting."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # pytest's collection probes modules' names for fixtures
            raise AttributeError(name)
        import simple_icd_10_cm

        return getattr(simple_icd_10_cm, name)


scm = _Lazy()
# CI without the build extra: the mini-tabular tests above still run.
needs_library = pytest.mark.skipif(
    importlib.util.find_spec("simple_icd_10_cm") is None or not sources.available(),
    reason="build extra simple-icd-10-cm not installed (pip install .[build])",
)


@pytest.fixture(scope="module")
def real() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    return icd10cm.parse_tabular(sources.locate(sources.CM_XML).path)


def _lib_code(record: dict[str, Any]) -> str:
    """simple_icd_10_cm's name for a record (it has no range form for one-category blocks)."""
    first, _, last = record["code"].partition("-")
    return first if first == last else record["code"]


@needs_library
def test_counts_and_order_match_code_list(
    real: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    system, records = real
    code_list = sources.locate(sources.CM_CODE_LIST).path.read_text(encoding="utf-8").split()
    assert len(code_list) == 98_505
    assert [_lib_code(r).replace(".", "") for r in records] == code_list
    assert system["counts"]["records"] == 98_505
    assert system["counts"]["billable"] == 74_719


@needs_library
def test_official_leaf_figure_explained(real: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    """74,736 = simple_icd_10_cm leaves = billable codes + empty heading blocks + double counts."""
    _, records = real
    all_codes = scm.get_all_codes()
    assert len(all_codes) == 98_505
    leaves = sum(1 for c in all_codes if scm.is_leaf(c))
    assert leaves == 74_736
    parents = {r["parent"] for r in records}
    empty_blocks = [r for r in records if r["kind"] == "block" and r["code"] not in parents]
    one_category_leaf_blocks = [
        r for r in records if r["kind"] == "category" and r["billable"] and r["parent"] == (f"{r['code']}-{r['code']}")
    ]
    billable = sum(1 for r in records if r["billable"])
    assert (billable, len(empty_blocks), len(one_category_leaf_blocks)) == (74_719, 12, 5)
    assert billable + len(empty_blocks) + len(one_category_leaf_blocks) == leaves


@needs_library
def test_random_sample_against_library(real: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    _, records = real
    index = {r["code"]: r for r in records}
    sample = random.Random(2026).sample(records, 500)
    for rec in sample:
        code = _lib_code(rec)
        is_block = rec["kind"] == "block"
        expected_title = " ".join(scm.get_description(code, prioritize_blocks=is_block).split())
        # The library glues sevenChrDef notes onto titles with "/"; CDC's titles do not.
        assert expected_title == rec["title"] or expected_title.startswith(rec["title"] + "/"), code
        if not is_block:  # the library calls empty heading blocks leaves; they are not codes
            assert scm.is_leaf(code) == rec["billable"], code
        parent = scm.get_parent(code, prioritize_blocks=is_block)
        if rec["parent"] is None:
            assert parent == "", code
        else:
            assert _lib_code(index[rec["parent"]]) == parent, code


def _resolved_seventh(index: dict[str, dict[str, Any]], code: str) -> dict[str, str]:
    """Resolve 7th characters the way the loader must: nearest declaring ancestor wins."""
    current: str | None = code
    while current is not None:
        rec = index[current]
        found = rec.get("sections", {}).get("seventh_characters")
        if found:
            return dict(found)
        current = rec["parent"]
    return {}


@needs_library
def test_inherited_seventh_characters(real: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
    _, records = real
    index = {r["code"]: r for r in records}
    candidates = [r for r in records if r["kind"] in ("category", "subcategory", "code")]
    sample = random.Random(7).sample(candidates, 500)
    sample += [index[c] for c in ("S72.001A", "S72.001", "W21.89XA", "T36.0X1D", "H34.8112")]
    checked = 0
    for rec in sample:
        expected = scm.get_seven_chr_def(rec["code"], search_in_ancestors=True)
        mine = _resolved_seventh(index, rec["code"])
        assert set(mine) == set(expected), rec["code"]
        for char, meaning in mine.items():
            # the full official wording, alternates included (simple_icd_10_cm joins them with "/")
            lib = "/".join(" ".join(part.split()) for part in expected[char].split("/"))
            lib = lib.removesuffix("/Fall from stool")  # W08: an inclusion term inside the list
            assert lib == meaning.replace(icd10cm.ALTERNATE_SEPARATOR, "/"), (rec["code"], char)
        checked += bool(mine)
    assert checked > 50
    assert index["W21.89XA"]["title"] == scm.get_description("W21.89XA")
    assert index["W21.89XA"]["title"].endswith(", initial encounter")
    assert index["S72.001A"]["parent"] == "S72.001"


def test_visual_impairment_table_becomes_notes() -> None:
    import xml.etree.ElementTree as ET

    table = ET.fromstring(
        "<visualImpairment><visCategory><heading>Category</heading><visRange>"
        "<heading>Acuity</heading><visMax><heading>Max below:</heading></visMax>"
        "<visMin><heading>Min at least:</heading></visMin></visRange></visCategory>"
        "<visCategory><value>1</value><visRange><visMax><value>6/18</value></visMax>"
        "<visMin><value>6/60</value></visMin></visRange></visCategory>"
        "<visCategory><value>9</value><visRange><visMax><value>Unknown</value></visMax>"
        "</visRange></visCategory></visualImpairment>"
    )
    assert icd10cm._visual_impairment_rows(table) == [
        "Category 1 (Acuity): Max below: 6/18; Min at least: 6/60",
        "Category 9 (Acuity): Max below: Unknown",
    ]
