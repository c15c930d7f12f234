"""The command-line contract: help, formats, JSON structure and exit codes (CliRunner)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from codelookup.cli import app
from codelookup.formats import RENDERERS, OutputFormat

from .conftest import run_cli

COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]  # every command, from the app itself


def invoke(runner: CliRunner, *args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(runner: CliRunner, command: str) -> None:
    result = invoke(runner, command, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.output and "codelookup " in result.output


def test_top_level_help_and_version(runner: CliRunner) -> None:
    assert "Example" in invoke(runner, "--help").output
    out = invoke(runner, "--version").output
    assert out.startswith("codelookup ") and "catalogue 2026" in out


def test_search_plain_output_is_tab_separated(runner: CliRunner) -> None:
    result = invoke(runner, "search", "e119")
    assert result.exit_code == 0
    first = result.stdout.splitlines()[0].split("\t")
    assert first == ["E11.9", "ICD-10-CM", "Type 2 diabetes mellitus without complications", "yes"]
    assert "┃" not in result.stdout and "\x1b[" not in result.stdout


def test_search_json_exact_structure(runner: CliRunner) -> None:
    result = invoke(runner, "search", "E11.9", "--json", "--limit", "1")
    doc = json.loads(result.stdout)
    assert set(doc) == {"schema_version", "catalogue_release", "query", "count", "total", "results", "notes"}
    assert doc["schema_version"] == 1 and doc["count"] == 1 and doc["query"] == "E11.9"
    assert doc["results"][0] == {
        "code": "E11.9",
        "system": "ICD-10-CM",
        "title": "Type 2 diabetes mellitus without complications",
        "billable": True,
        "score": 100.0,
        "match": "exact-code",
    }


def test_search_json_valid_when_empty(runner: CliRunner) -> None:
    result = invoke(runner, "search", "qqqxzvw", "--json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["results"] == [] and doc["count"] == 0 and "error" in doc
    assert "no match" in result.stderr


def test_search_batch_jsonl(runner: CliRunner) -> None:
    result = invoke(runner, "search", "-", "--jsonl", "--limit", "2", input="afib\n\nqqqxzvw\nE11.9\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["query"] for d in lines] == ["afib", "qqqxzvw", "E11.9"]
    assert lines[0]["results"] and lines[1]["results"] == [] and "error" in lines[1]
    assert all(d["schema_version"] == 1 for d in lines)
    assert result.exit_code == 1  # one query found nothing


def test_search_csv(runner: CliRunner) -> None:
    result = invoke(runner, "search", "asthma", "--csv", "-n", "3")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 3 and set(rows[0]) == {
        "code",
        "system",
        "title",
        "billable",
        "score",
        "match",
    }


def test_search_table_in_terminal_format(runner: CliRunner) -> None:
    result = invoke(runner, "search", "[bold]asthma[/]", "--format", "table", "-n", "3")
    assert result.exit_code == 0
    assert "[bold]asthma[/]" in result.stdout  # the query is shown literally, not as markup


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["search", ""], 2),
        (["search", "x", "--limit", "0"], 2),
        (["search", "x", "--limit", "-5"], 2),
        (["search", "x", "--limit", "999999999"], 2),
        (["search", "x", "--limit", "abc"], 2),
        (["search", "x", "--system", "ICD-11"], 2),
        (["search", "x", "--json", "--csv"], 2),
        (["search", "x", "--bogus"], 2),
        (["show", "E11.9", "--section", "nonsense"], 2),
        (["show", "NOPE99"], 1),
        (["frobnicate"], 2),
    ],
)
def test_exit_codes(args: list[str], code: int) -> None:
    """Run as a real process: usage errors are one line too, not click's usage block."""
    result = run_cli(*args)
    assert result.returncode == code, (args, result.stderr)
    err = result.stderr.decode().strip()
    assert "Traceback" not in err
    assert err.count("\n") == 0 and err.startswith("codelookup: "), err


def test_unknown_section_lists_valid_ones(runner: CliRunner) -> None:
    result = invoke(runner, "show", "62264", "--section", "nonsense")
    assert "valid sections:" in result.stderr and "risks_and_complications" in result.stderr


def test_every_output_format_has_a_writer() -> None:
    assert set(RENDERERS) | {OutputFormat.AUTO} == set(OutputFormat)


@pytest.mark.parametrize("fmt", [f for f in OutputFormat])
def test_every_output_format_works_for_search(runner: CliRunner, fmt: OutputFormat) -> None:
    result = invoke(runner, "search", "asthma", "--format", fmt.value, "-n", "2")
    assert result.exit_code == 0, result.output
    assert "J45" in result.stdout


def test_systems_show_provenance(runner: CliRunner) -> None:
    doc = json.loads(invoke(runner, "systems", "--json").stdout)
    by_name = {r["name"]: r for r in doc["results"]}
    assert by_name["ICD-10-CM"]["release"] == "FY2026 (April 1, 2026 update)"
    assert by_name["ICD-10-CM"]["licence"] == "US public domain"
    assert by_name["ICD-10-CM"]["records"] == 98505
    assert by_name["ICD-10-PCS"]["billable"] == 79115
    assert "FY2026" in by_name["ICD-10-PCS"]["release"]
    assert by_name["HCPCS"]["release"] == "HCPCS Level II, January 2026"
    assert "American Medical Association" in by_name["CPT"]["licence"]
    assert all(r["source"] for r in doc["results"])


def test_browse(runner: CliRunner) -> None:
    chapters = invoke(runner, "browse", "ICD-10-CM").stdout.splitlines()
    assert len(chapters) == 22
    kids = [line.split("\t")[0] for line in invoke(runner, "browse", "E11").stdout.splitlines()]
    assert kids[0] == "E11.0" and "E11.9" in kids
    cpt = json.loads(invoke(runner, "browse", "CPT", "--all", "--json").stdout)
    assert cpt["count"] >= 150 and all(r["system"] == "CPT" for r in cpt["results"])
    assert any(r["code"] == "62264" for r in cpt["results"])


def test_sections_command(runner: CliRunner) -> None:
    out = invoke(runner, "sections").stdout
    assert "risks_and_complications\tRisks and Complications" in out
    doc = json.loads(invoke(runner, "sections", "62264", "--json").stdout)
    slugs = [r["slug"] for r in doc["results"]]
    assert slugs[:3] == ["name", "summary", "purpose"] and "similar_codes" in slugs
