"""The coders' indexes (issue 14): companion file, search aliases, index/neoplasm/drug, show, import.

Everything runs on the real vendored releases and the bundled catalogue; counts are checked
against the source files themselves, parsed independently here.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from codelookup.build import cm_index
from codelookup.cli import app

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "data" / "sources"
COMPANION = REPO / "data" / "indexes.json.gz"


@pytest.fixture(scope="module")
def companion() -> dict[str, Any]:
    with gzip.open(COMPANION, "rb") as fh:
        doc: dict[str, Any] = json.loads(fh.read())
    return doc


def run(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, list(args))


def as_json(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


# -- the companion file ------------------------------------------------------------------------
def test_companion_holds_every_line_of_every_source(companion: dict[str, Any]) -> None:
    books = companion["books"]
    with (SOURCES / cm_index.CM_DERIVED).open(encoding="utf-8-sig", newline="") as fh:
        assert len(books["cm"]["entries"]) == sum(1 for _ in csv.DictReader(fh))
    for name, path in (
        ("ecm", cm_index.EINDEX),
        ("neoplasm", cm_index.NEOPLASM),
        ("drug", cm_index.DRUG),
        ("pcs", cm_index.PCS_INDEX),
    ):
        text = (SOURCES / path).read_text(encoding="utf-8")
        lines = len(re.findall(r"<mainTerm>", text)) + len(re.findall(r"<term level=", text))
        assert len(books[name]["entries"]) == lines, name
        mains = sum(1 for e in books[name]["entries"] if e[0] == 0)
        assert mains == text.count("<mainTerm>"), name


def test_companion_labels_the_derived_index(companion: dict[str, Any]) -> None:
    cm = companion["books"]["cm"]
    assert cm["origin"] == "derived, FY2025" and "not official" in cm["licence"]
    assert all(companion["books"][b]["origin"] == "official" for b in ("ecm", "neoplasm", "drug", "pcs"))


def test_every_code_is_checked_and_stale_ones_point_to_a_parent(companion: dict[str, Any]) -> None:
    report = companion["report"]
    for name, r in report.items():
        assert r["valid"] + r["stale"] <= r["code_references"], name
        assert r["stale"] == len(r["stale_codes"])
        for code, parent in r["stale_codes"].items():
            assert parent and cm_index.norm(code).startswith(cm_index.norm(parent)), (name, code, parent)
    # the derived CM index and the official CM tables name only codes the FY2026 tabular has
    assert report["drug"]["valid"] == report["drug"]["code_references"] > 40_000


def test_companion_is_deterministic(companion: dict[str, Any]) -> None:
    assert cm_index.dumps(companion) == COMPANION.read_bytes()


def test_stale_reference_is_kept_and_marked() -> None:
    cm = {"C50": "C50", "C509": "C50.9"}
    entries = [[0, "Breast", "", ["C50.99"], "", "", "", []], [0, "Other", "", ["C50.9-"], "", "", "", []]]
    r = cm_index.check_book("cm", entries, cm, set())
    assert r["stale_codes"] == {"C50.99": "C50.9"} and r["incomplete"] == 1 and r["valid"] == 1


# -- search --------------------------------------------------------------------------------------
def test_pheochromocytoma_reaches_both_codes_through_the_index(lib: Any) -> None:
    hits = lib.search("pheochromocytoma", limit=5).hits
    top = {h.code: h for h in hits}
    assert "D35.00" in top and "C74.10" in top
    for code in ("D35.00", "C74.10"):
        assert top[code].match == "index"
        assert top[code].path.startswith("Pheochromocytoma") and top[code].path.endswith(code)


def test_search_json_carries_the_index_path(runner: CliRunner) -> None:
    doc = as_json(run(runner, "search", "chordoma", "--json"))
    first = doc["results"][0]
    assert first["code"] == "C41.2" and first["match"] == "index"
    assert first["path"] == "Chordoma → see Neoplasm, vertebral (column), malignant → C41.2"


def test_typos_are_corrected_on_index_words(lib: Any) -> None:
    result = lib.search("feochromocytoma", limit=5)
    assert "D35.00" in [h.code for h in result.hits]
    assert any("misspelt" in n for n in result.notes)


def test_lay_synonyms_reach_the_table_of_drugs(lib: Any) -> None:
    assert "T39.1X1A" in [h.code for h in lib.search("tylenol poisoning", limit=10).hits]


def test_drug_name_alone_finds_its_table_row(lib: Any) -> None:
    hits = lib.search("acetaminophen", limit=10).hits  # HCPCS has an 'Acetaminophen' code too
    assert {h.code for h in hits} >= {f"T39.1X{i}A" for i in range(1, 7)}
    assert hits[0].code == "T39.1X1A"  # accidental poisoning, the first column


def test_modifiers_alone_do_not_make_a_match(lib: Any) -> None:
    # 'Angina (attack) (cardiac) (chest) (heart) …': the words are nonessential modifiers only
    assert lib.search("heart attack", limit=1).hits[0].code == "I21.9"


def test_title_results_keep_their_match(lib: Any) -> None:
    hits = lib.search("e119").hits
    assert hits[0].match == "exact-code" and not hits[0].path
    assert "path" not in hits[0].as_dict()


# -- index / neoplasm / drug ----------------------------------------------------------------------
def test_index_walks_the_main_term_and_its_subterms(runner: CliRunner) -> None:
    doc = as_json(run(runner, "index", "pheochromocytoma", "--json"))
    assert doc["book"]["origin"] == "derived, FY2025"
    lines = doc["results"]
    assert lines[0]["term"] == "Pheochromocytoma" and lines[0]["level"] == 0
    flat = [(x["level"], x["term"], [c["code"] for c in x["codes"]], x["see"]) for x in lines]
    assert (2, "unspecified site", ["C74.10"], "") in flat
    assert (1, "specified site", [], "Neoplasm, benign, by site") in flat
    assert all(c["status"] == "valid" for x in lines for c in x["codes"])


def test_index_subterm_path_and_plain_output(runner: CliRunner) -> None:
    result = run(runner, "index", "Pheochromocytoma, malignant")
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0].split("\t")
    assert first[0] == "Pheochromocytoma, malignant"
    assert "\tC74.10\t" in result.stdout


def test_index_walks_main_terms_with_commas_and_words(runner: CliRunner) -> None:
    # 'Fracture, traumatic' is the main term; 'radius, lower end' are its subterms
    doc = as_json(run(runner, "index", "fracture, radius, lower end", "--json"))
    assert doc["results"][0]["path"].startswith("Fracture, traumatic")
    assert doc["results"][0]["codes"][0] == {
        "code": "S52.50-",
        "status": "incomplete",
        "shown": "S52.50",
        "title": "Unspecified fracture of the lower end of radius",
    }
    # 'carbon monoxide' is Carbon → monoxide in the Table of Drugs
    row = as_json(run(runner, "drug", "carbon monoxide", "--json"))["results"][0]
    assert row["path"].startswith("Carbon, monoxide") and row["cells"][0]["shown"] == "T58.91XA"


def test_pcs_index_names_the_table_and_how_to_finish(runner: CliRunner) -> None:
    doc = as_json(run(runner, "index", "abdominohysterectomy", "--system", "pcs", "--json"))
    code = doc["results"][0]["codes"][0]
    assert doc["system"] == "ICD-10-PCS" and doc["results"][0]["see"] == "Resection, Uterus"
    assert code["code"] == "0UT9" and code["table"] == "0UT" and code["status"] == "incomplete"
    assert code["finish"] == "choose characters 5-7 from table 0UT" and code["completions"] > 0


def test_unknown_index_term_is_one_line_with_suggestions(runner: CliRunner) -> None:
    result = run(runner, "index", "pheochromocytomma")
    assert result.exit_code == 1
    assert "Pheochromocytoma" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_neoplasm_breast_rows_have_six_valid_codes(runner: CliRunner, lib: Any) -> None:
    doc = as_json(run(runner, "neoplasm", "breast", "--json"))
    assert doc["columns"][0] == "Malignant Primary" and len(doc["columns"]) == 6
    rows = [r for r in doc["results"] if r["level"] == 0]
    assert rows and rows[0]["term"] == "breast"
    full = [r for r in doc["results"] if all(r["cells"])]
    assert len(full) >= 10  # breast and its quadrants, nipple, areola, …
    for row in full:
        for cell in row["cells"]:
            assert cell["status"] in ("valid", "incomplete"), (row["term"], cell)
            assert lib.lookup(cell["shown"], system="ICD-10-CM").record.code == cell["shown"]


def test_neoplasm_table_renders_six_columns(runner: CliRunner) -> None:
    result = run(runner, "neoplasm", "breast", "--format", "table")
    assert result.exit_code == 0
    assert "Malignant" in result.stdout and "C50.9-" in result.stdout and "D49.3" in result.stdout


def test_drug_acetaminophen_columns(runner: CliRunner) -> None:
    doc = as_json(run(runner, "drug", "acetaminophen", "--json"))
    row = doc["results"][0]
    assert row["term"] == "Acetaminophen"
    assert [c["shown"] for c in row["cells"]] == [f"T39.1X{i}A" for i in range(1, 7)]
    assert [c["code"] for c in row["cells"]] == [f"T39.1X{i}" for i in range(1, 7)]
    assert doc["columns"][4] == "Adverse effect" and doc["columns"][5] == "Underdosing"
    plain = run(runner, "drug", "acetaminophen").stdout.splitlines()[0].split("\t")
    assert plain == ["Acetaminophen", *(f"T39.1X{i}A" for i in range(1, 7))]


def test_drug_without_codes_in_a_column_leaves_it_empty(runner: CliRunner) -> None:
    doc = as_json(run(runner, "drug", "1-propanol", "--json"))
    cells = doc["results"][0]["cells"]
    assert cells[4] is None and cells[5] is None and cells[0]["shown"] == "T51.3X1A"


# -- the detail page ----------------------------------------------------------------------------
def test_show_lists_index_entries_that_lead_here(lib: Any) -> None:
    page = lib.lookup("D35.00")
    entries = page.sections["index_entries"]
    assert "Pheochromocytoma, unspecified site → D35.00" in entries


def test_show_pcs_code_lists_entries_of_its_table(lib: Any) -> None:
    entries = lib.lookup("0UT90ZZ").sections["index_entries"]
    assert "Abdominohysterectomy → see Resection, Uterus → 0UT9" in entries
    assert all("0UT" in e for e in entries)


# -- import icd10cm-index ------------------------------------------------------------------------
def test_import_official_index_replaces_the_derived_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    from codelookup.api import Library
    from codelookup.index_commands import index_lines
    from codelookup.indexes import imported_file

    monkeypatch.setenv("CODELOOKUP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CODELOOKUP_CACHE_DIR", str(tmp_path / "cache"))
    eindex = SOURCES / cm_index.EINDEX
    result = run(runner, "import", "icd10cm-index", str(eindex), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["kind"] == "icd10cm-index" and summary["release"] == "FY2025"
    target = Path(imported_file())
    before = target.read_bytes()
    # a table XML and a corrupt file are refused; the previous import stays byte for byte
    for bad in (SOURCES / cm_index.NEOPLASM, tmp_path / "broken.xml"):
        if bad.name == "broken.xml":
            bad.write_text("<ICD10CM.index><letter><mainTerm><title>x</title>", encoding="utf-8")
        refused = run(runner, "import", "icd10cm-index", str(bad))
        assert refused.exit_code == 3 and "previous import was kept" in refused.stderr
        assert target.read_bytes() == before
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
    listed = json.loads(run(runner, "import", "--list", "--json").stdout)["results"]
    assert [r["kind"] for r in listed] == ["icd10cm-index"]
    lib2 = Library(progress=False)
    info, lines = index_lines(lib2, "Accident, bare foot water skiier")
    assert info["origin"] == "official (imported)"
    assert lines[0]["codes"][0]["shown"] == "V94.4XXA"
    from codelookup.errors import NotFoundError

    with pytest.raises(NotFoundError):
        index_lines(lib2, "Aarskog's syndrome")  # only the derived index had it
    assert run(runner, "import", "--remove", "icd10cm-index").exit_code == 0
    assert not target.exists()


# -- the benchmark's index-term sets ---------------------------------------------------------------
def test_bench_builds_index_term_sets_from_the_vendored_files(lib: Any) -> None:
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("bench_relevance_ix", REPO / "bench" / "relevance.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(bench)
    sets = bench.index_term_pairs(4, seed=7)
    assert len(sets) == 5 and all(len(pairs) == 4 for pairs in sets.values())
    drug = sets["CM Table of Drugs"]
    assert all(p.code.startswith("T") or p.code.startswith("X") for p in drug)
    for pairs in sets.values():
        for p in pairs:  # every expected answer is a code (or a code prefix) of the catalogue
            hits = lib.search(p.code, systems=[p.system], limit=1).hits
            assert hits and hits[0].code.replace(".", "").startswith(p.code.replace(".", "")), p


def test_commands_understand_lay_synonyms_and_show_indentation(runner: CliRunner) -> None:
    plain = run(runner, "drug", "tylenol").stdout.splitlines()[0].split("\t")
    assert plain[0] == "4-Aminophenol derivatives" and plain[1] == "T39.1X1A"
    lines = run(runner, "index", "pheochromocytoma").stdout.splitlines()
    assert lines[1].startswith("- malignant") and lines[2].startswith("· - specified site")


def test_an_index_path_that_contradicts_without_loses(lib: Any) -> None:
    # 'Disease, gastroesophageal reflux, with esophagitis → K21.00' says the opposite of the query
    # (the second-stage re-ranking after it reads 'without' in K21.00's '…, without bleeding' too)
    top = [h.code for h in lib.search("gastroesophageal reflux disease without esophagitis", limit=2).hits]
    assert "K21.9" in top


def test_pcs_table_references_lead_to_the_table_not_an_arbitrary_code(lib: Any) -> None:
    hits = {h.code: h for h in lib.search("tonsillectomy", limit=5).hits}
    assert "0CB" in hits and hits["0CB"].path == "Tonsillectomy → see Excision, Mouth and Throat → 0CB"
    assert "0CB00ZX" not in hits  # the first code of table 0CB is a lip biopsy, not a tonsillectomy


def test_the_companion_is_the_one_beside_the_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A catalogue and its coders' indexes are a pair from one build; a foreign catalogue has none."""
    import shutil

    from codelookup import indexes
    from codelookup.catalogue import catalogue_file

    bundled = indexes.companion_file()
    assert bundled is not None and Path(bundled).parent == Path(catalogue_file()).parent
    foreign = tmp_path / "codes.json"
    shutil.copyfile(catalogue_file(), foreign)
    monkeypatch.setenv("CODELOOKUP_CATALOGUE", str(foreign))
    assert indexes.companion_file() is None
    assert indexes.bundled_key_part() == "no-indexes"
    shutil.copyfile(bundled, tmp_path / indexes.COMPANION)
    assert indexes.companion_file() == str(tmp_path / indexes.COMPANION)
    monkeypatch.setenv("CODELOOKUP_CATALOGUE", str(tmp_path / "missing.json"))
    assert indexes.companion_file() is None  # the missing catalogue is reported elsewhere, once
