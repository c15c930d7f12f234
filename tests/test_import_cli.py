"""`codelookup import` end to end: the layer reaches search, show, systems and browse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "import"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A private data and cache directory, so imports never leak into other tests."""
    return {"CODELOOKUP_DATA_DIR": str(tmp_path / "data"), "CODELOOKUP_CACHE_DIR": str(tmp_path / "cache")}


def cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = run_cli(*args, env=env)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


def test_hcpcs_import_reaches_every_command(env: dict[str, str]) -> None:
    code, _, err = cli(env, "import", "hcpcs", str(FIXTURES / "HCPC2025_JAN_ANWEB_sample.txt"), "--force")
    assert code == 0 and "imported" in err
    code, out, _ = cli(env, "search", "A4206", "--json")
    hit = json.loads(out)["results"][0]
    assert (hit["code"], hit["system"], hit["match"]) == ("A4206", "HCPCS", "exact-code")
    code, out, _ = cli(env, "search", "syringe needle sterile", "--system", "hcpcs", "--json")
    assert "A4206" in [r["code"] for r in json.loads(out)["results"]]
    rec = json.loads(cli(env, "show", "A9999", "--json")[1])["records"][0]
    assert rec["system"] == "HCPCS" and "fixture wording" in rec["title"]  # continuation lines joined
    systems = {r["name"]: r for r in json.loads(cli(env, "systems", "--json")[1])["results"]}
    assert systems["HCPCS"]["origin"] == "imported" and systems["HCPCS"]["records"] > 0
    assert systems["ICD-10-CM"]["origin"] in ("bundled", "")
    top = json.loads(cli(env, "browse", "HCPCS", "--json")[1])["results"]
    assert any(r["code"].startswith("A") for r in top)
    listed = json.loads(cli(env, "import", "--list", "--json")[1])["results"]
    assert [r["kind"] for r in listed] == ["hcpcs"]
    assert cli(env, "import", "--remove", "hcpcs")[0] == 0
    # Removing the import falls back to the bundled January 2026 release, not to nothing.
    systems = {r["name"]: r for r in json.loads(cli(env, "systems", "--json")[1])["results"]}
    assert systems["HCPCS"]["release"] == "HCPCS Level II, January 2026"
    assert "fixture wording" not in json.loads(cli(env, "show", "A9999", "--json")[1])["records"][0]["title"]
    assert cli(env, "import", "--remove", "hcpcs")[0] == 1


def test_cpt_descriptors_are_added_to_our_pages(env: dict[str, str]) -> None:
    assert cli(env, "import", "cpt", str(FIXTURES / "cpt_descriptors_sample.tsv"))[0] == 0
    rec = json.loads(cli(env, "show", "62264", "--json")[1])["records"][0]
    assert rec["sections"]["official_descriptor"].startswith("Licensed descriptor placeholder B")
    assert rec["sections"]["summary"]  # our plain-language page is kept
    systems = {r["name"]: r for r in json.loads(cli(env, "systems", "--json")[1])["results"]}
    assert systems["CPT"]["origin"] == "bundled + imported"


def test_broken_import_is_one_line_and_keeps_the_previous_layer(env: dict[str, str]) -> None:
    assert cli(env, "import", "hcpcs", str(FIXTURES / "HCPC2025_JAN_ANWEB_sample.txt"), "--force")[0] == 0
    code, _, err = cli(env, "import", "hcpcs", str(FIXTURES / "HCPC2025_JAN_ANWEB_broken_recid.txt"), "--force")
    assert code == 3 and err.count("\n") == 1 and "HCPC2025_JAN_ANWEB_broken_recid.txt:" in err
    assert cli(env, "show", "A4206")[0] == 0


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["import"], 2),
        (["import", "icd9", "x.txt"], 2),
        (["import", "hcpcs"], 2),
        (["import", "hcpcs", "/no/such/file.txt"], 3),
        (["import", "--remove", "nope"], 2),
    ],
)
def test_import_usage_errors(env: dict[str, str], args: list[str], code: int) -> None:
    rc, _, err = cli(env, *args)
    assert rc == code and err.startswith("codelookup: ") and err.count("\n") == 1
