"""The twelve rough edges a new user hit first (issue 16), one test each (or more)."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from codelookup.cli import app, hoist_global_options, run
from codelookup.page import pager_styles, rich_systems
from tests.conftest import codelookup_cmd


def invoke(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(app, list(args))


# 1. bare `codelookup`
def test_bare_command_prints_help_on_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: codelookup") and "\nCommands:\n" in out
    assert out.count("\n") > 10 and "  search " in out


# 2. --pager: colour only for less -R, plain text otherwise
def test_pager_styles_decision() -> None:
    env: dict[str, str] = {}
    assert pager_styles(env) and env["LESS"] == "R"  # default pager is less; LESS set when unset
    env = {"LESS": "FX"}
    assert not pager_styles(env) and env["LESS"] == "FX"  # a user's LESS is never overridden
    assert pager_styles({"PAGER": "less -R", "LESS": "F"})
    assert not pager_styles({"PAGER": "more"})
    assert not pager_styles({"PAGER": "/usr/bin/most"})
    assert not pager_styles({"NO_COLOR": "1"})


def _through_pty(pager: Path, extra: dict[str, str]) -> bytes:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "LESS", "PAGER", "MANPAGER")}
    env.update(TERM="xterm-256color", COLUMNS="100", PAGER=str(pager), **extra)
    master, slave = pty.openpty()
    proc = subprocess.Popen([*codelookup_cmd(), "show", "62264", "--pager"], stdin=slave, stdout=slave,
                            stderr=slave, env=env)  # fmt: skip
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return out


@pytest.mark.parametrize(("name", "extra", "colour"), [("less", {}, True), ("more", {}, False),
                                                      ("less", {"NO_COLOR": "1"}, False)])  # fmt: skip
def test_pager_end_to_end(tmp_path: Path, name: str, extra: dict[str, str], colour: bool) -> None:
    pager = tmp_path / name  # a stand-in that reports LESS and passes the page through
    pager.write_text('#!/bin/sh\necho "PAGER-SAW LESS=$LESS"\ncat\n', encoding="utf-8")
    pager.chmod(0o755)
    out = _through_pty(pager, extra)
    assert b"Informational, not medical or coding advice" in out
    assert (b"\x1b[" in out) is colour
    assert (b"PAGER-SAW LESS=R" in out) is colour


# 3. shell completion
def test_completion_is_offered(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    assert "--install-completion" in capsys.readouterr().out
    env = dict(os.environ, _CODELOOKUP_COMPLETE="complete_bash", COMP_WORDS="codelookup sh", COMP_CWORD="1")
    result = subprocess.run(codelookup_cmd(), env=env, capture_output=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.split() == [b"show"]


# 4. global options after the subcommand
def test_no_color_after_the_subcommand(runner: CliRunner) -> None:
    assert hoist_global_options(["show", "E11.9", "--no-color"]) == ["--no-color", "show", "E11.9"]
    assert hoist_global_options(["search", "--", "--no-color"]) == ["search", "--", "--no-color"]
    result = subprocess.run([*codelookup_cmd(), "show", "E11.9", "--no-color", "--format", "plain"],
                            capture_output=True, timeout=60, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"E11.9")


# 5. systems at 80 columns
def test_systems_fit_80_columns(lib: Any) -> None:
    from rich.console import Console

    buf = io.StringIO()
    rows = [i.as_dict() for i in lib.system_info().values()]
    rich_systems(rows, Console(file=buf, width=80, no_color=True))
    out = buf.getvalue()
    assert "…" not in out and "ICD-10-PCS" in out and "simple-icd-10-cm" in out
    assert max(len(line) for line in out.splitlines()) <= 80
    cpt = out[out.index("CPT") :]
    licence = cpt[cpt.index("Licence") : cpt.index("Publisher")]
    assert licence.count("\n") <= 4


# 6. CSV billable wording
def test_csv_billable_is_true_false(runner: CliRunner) -> None:
    result = invoke(runner, "search", "E11.9", "--csv", "--limit", "3")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and {r["billable"] for r in rows} <= {"true", "false"}
    plain = invoke(runner, "search", "E11.9", "--format", "plain", "--limit", "1").stdout
    assert plain.rstrip("\n").endswith("\tyes")


# 7. the show --help example
def test_show_help_jq_example_is_right(runner: CliRunner) -> None:
    out = invoke(runner, "show", "--help").stdout
    assert "jq '.records[0].sections.axes'" in " ".join(out.split())
    doc = json.loads(invoke(runner, "show", "0SRC0J9", "--json").stdout)
    assert doc["records"][0]["sections"]["axes"]


# 8. ambiguous --section lists only matching names
def test_ambiguous_section_lists_matches_only(runner: CliRunner) -> None:
    result = invoke(runner, "show", "62264", "--section", "re")
    assert result.exit_code == 2
    listed = result.stderr.split("it matches: ", 1)[1].split(")", 1)[0].split(", ")
    assert sorted(listed) == ["health_plan_policies", "recovery", "release_status"]
    assert "summary" not in result.stderr


# 9. suggestions for a non-code
def test_non_code_gets_no_unrelated_codes(runner: CliRunner) -> None:
    result = invoke(runner, "show", "NOPE")
    assert result.exit_code == 1
    assert "S09.92XA" not in result.stderr and "did you mean" not in result.stderr
    assert "search by words" in result.stderr
    words = invoke(runner, "show", "diabetes")
    assert "did you mean: E1" in words.stderr  # words that match as typed still suggest codes


# 10. CPT similar codes
def test_cpt_similar_codes_are_written_relationships(lib: Any) -> None:
    similar = lib.lookup("62264").sections["similar_codes"]
    codes = [s["code"] for s in similar]
    assert "62270" not in codes and codes[0] == "62263"
    for code in ("62264", "99213", "45378"):
        for ref in lib.lookup(code).sections["similar_codes"]:
            assert "same family of pages" not in ref["reason"] and "similar wording" not in ref["reason"]


# 11. CPT release
def test_cpt_release_is_the_content_release(lib: Any) -> None:
    page = lib.lookup("62264")
    assert page.release.startswith("content release ") and "255 codes" not in page.release


# 12. imported HCPCS licence
@pytest.mark.usefixtures("data_dir")
def test_imported_hcpcs_licence_is_public_domain() -> None:
    from codelookup.importers import ImportKind, run_import
    from codelookup.layers import read_layer

    sample = Path(__file__).parent / "fixtures" / "import" / "HCPC2025_JAN_ANWEB_sample.txt"
    # A 15-code sample of an older release: --force past the safety check (it warns).
    header, _ = read_layer(run_import(ImportKind.HCPCS, sample, force=True).layer_path)
    licence = header["systems"]["HCPCS"]["licence"]
    assert licence.startswith("US public domain") and "As distributed" not in licence


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["group", "--dx"], "group"),
        (["--no-color", "crosswalk", "--gem"], "crosswalk"),
        (["export", "--format"], "export"),
        (["search", "asthma", "-n"], "search"),
    ],
)
def test_a_missing_option_value_points_at_the_subcommand_help(
    argv: list[str], command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "(see 'codelookup --help')", whose page does not list the subcommand's options."""
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert "requires an argument" in err
    assert err.rstrip().endswith(f"(see 'codelookup {command} --help')")


def test_a_cpt_shaped_miss_suggests_cpt_codes_not_retired_icd9(capsys: pytest.CaptureFixture[str]) -> None:
    """`show 29888` suggested '29880, 29881, 29882, 298.8': ICD-9-CM is shown only when asked for."""
    assert run(["show", "29888"]) == 1
    err = capsys.readouterr().err
    assert "CPT code without a page here" in err and "29881" in err
    assert "298.8" not in err
    # A dotted ICD-9-CM spelling still gets ICD-9-CM suggestions.
    assert run(["show", "999.99"]) == 1
    assert "999.9" in capsys.readouterr().err
