"""The detail view on real records of each system."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from codelookup.cli import app
from codelookup.sections import PAGE_SLUGS, SECTIONS

HEADINGS = [s.heading for s in SECTIONS if s.group == "page"]


def show(runner: CliRunner, *args: str, input: str | None = None) -> Any:
    return runner.invoke(app, ["show", *args], input=input)


def test_cpt_page_has_every_model_section_in_order(runner: CliRunner) -> None:
    out = show(runner, "62264", "--format", "table").stdout
    positions = [out.find(h) for h in [*HEADINGS, "Similar Codes"]]
    assert all(p >= 0 for p in positions), [h for h, p in zip(HEADINGS, positions, strict=False) if p < 0]
    assert positions == sorted(positions)
    assert "Informational, not medical or coding advice" in out


def test_cpt_page_json(runner: CliRunner) -> None:
    doc = json.loads(show(runner, "62264", "--json").stdout)
    rec = doc["records"][0]
    assert rec["code"] == "62264" and rec["system"] == "CPT" and rec["billable"] is True
    assert list(rec["sections"])[: len(PAGE_SLUGS)] == list(PAGE_SLUGS)
    assert {s["code"] for s in rec["sections"]["similar_codes"]} >= {"62263"}
    assert doc["not_found"] == [] and doc["schema_version"] == 1


def test_icd10cm_notes_and_hierarchy(runner: CliRunner) -> None:
    rec = json.loads(show(runner, "E11.621", "--json").stdout)["records"][0]
    assert rec["title"] == "Type 2 diabetes mellitus with foot ulcer"
    assert [h["code"] for h in rec["hierarchy"]] == ["4", "E08-E13", "E11", "E11.6", "E11.62"]
    assert any("E10" in x["text"] and x["source"] == "E11" for x in rec["sections"]["excludes1"])
    assert rec["sections"]["use_additional_code"]
    sev = json.loads(show(runner, "S72.001A", "--json").stdout)["records"][0]["sections"]["seventh_characters"]
    assert sev["A"] == "initial encounter for closed fracture" and "S" in sev


def test_non_billable_code_explains_and_lists_children(runner: CliRunner) -> None:
    rec = json.loads(show(runner, "E11", "--json").stdout)["records"][0]
    assert rec["billable"] is False and "choose one of its" in rec["billable_reason"]
    assert rec["sections"]["children"][0]["code"] == "E11.0"


def test_pcs_axes(runner: CliRunner) -> None:
    rec = json.loads(show(runner, "0src0j9", "--json").stdout)["records"][0]
    axes = rec["sections"]["axes"]
    assert [a["value"] for a in axes] == list("0SRC0J9")
    assert axes[2]["label"] == "Replacement" and axes[2]["definition"]
    assert axes[3]["label"] == "Knee Joint, Right" and axes[4]["label"] == "Open"


def test_section_filter_by_slug_heading_and_prefix(runner: CliRunner) -> None:
    for name in ("risks", "Risks and Complications", "RISKS_AND_COMPLICATIONS"):
        rec = json.loads(show(runner, "62264", "--section", name, "--json").stdout)["records"][0]
        assert list(rec["sections"]) == ["risks_and_complications"]
    rec = json.loads(show(runner, "62264", "-S", "pat", "-S", "summ", "--json").stdout)["records"][0]
    assert list(rec["sections"]) == ["summary", "patient_experience"]
    out = show(runner, "62264", "--section", "duration").stdout
    assert "Duration" in out and "Summary" not in out


def test_several_codes_report_found_and_missing(runner: CliRunner) -> None:
    result = show(runner, "E11.9", "NOPE99", "62264", "--json")
    doc = json.loads(result.stdout)
    assert [r["code"] for r in doc["records"]] == ["E11.9", "62264"]
    assert doc["not_found"][0]["query"] == "NOPE99"
    assert result.exit_code == 1


def test_batch_jsonl_from_stdin(runner: CliRunner) -> None:
    result = show(runner, "-", "--jsonl", input=" e11.9 \nW21.89A\nW21.89Q\n0SRC0J9\n")
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert lines[0]["code"] == "E11.9" and lines[0]["billable"] is True
    # a missing placeholder resolves, as in search; a wrong 7th character is not found
    assert lines[1]["code"] == "W21.89XA" and lines[1]["resolved_from"] == "W21.89A"
    assert "error" in lines[2] and "W21.89XA" in lines[2]["suggestions"]
    assert lines[3]["system"] == "ICD-10-PCS"
    assert result.exit_code == 1


def test_code_in_two_systems_shows_both(runner: CliRunner) -> None:
    doc = json.loads(show(runner, "B20", "--json").stdout)
    assert {r["system"] for r in doc["records"]} == {"ICD-10-CM", "ICD-10-PCS"}
    only = json.loads(show(runner, "B20", "--system", "pcs", "--json").stdout)
    assert [r["system"] for r in only["records"]] == ["ICD-10-PCS"]


def test_plain_page_has_no_box_drawing(runner: CliRunner) -> None:
    out = show(runner, "62264").stdout
    assert "Summary" in out and not any(ch in out for ch in "│─┌┐└┘╭╮")


def test_similar_codes_for_every_system(runner: CliRunner) -> None:
    for code in ("E11.621", "0SRC0J9", "45385"):
        rec = json.loads(show(runner, code, "--json").stdout)["records"][0]
        sim = rec["sections"]["similar_codes"]
        assert len(sim) >= 3 and all(s["reason"] for s in sim), code


def test_markup_in_catalogue_and_input_is_literal(runner: CliRunner) -> None:
    result = show(runner, "[red]x[/]", "--format", "table")
    assert result.exit_code == 1
    assert "[red]x[/]" in result.stderr


def test_codes_named_in_notes_are_resolved(runner: CliRunner) -> None:
    rec = json.loads(show(runner, "E11.621", "--json").stdout)["records"][0]
    refs = {r["code"]: r for r in rec["sections"]["cross_references"]}
    assert {"E10", "E13", "P70.2", "Z79.4"} <= set(refs)  # from Excludes1 and Use Additional Code
    assert refs["E10"]["title"] == "Type 1 diabetes mellitus" and refs["E10"]["reason"].startswith("named in")
    assert "E11" not in refs  # the note's own category is not a cross-reference


def test_pcs_code_outside_sections_0_and_1_has_its_labels(runner: CliRunner) -> None:
    rec = json.loads(show(runner, "BW03ZZZ", "--json").stdout)["records"][0]
    axes = rec["sections"]["axes"]
    assert [a["value"] for a in axes] == list("BW03ZZZ")
    assert axes[0]["label"] == "Imaging" and all(a["label"] for a in axes)
    assert axes[4]["axis"] == "Contrast"
