"""`codelookup import` end to end: the layer reaches search, show, systems and browse.

In-process (the entry point with StringIO streams) over a small catalogue of real records (every
CPT page, the bundled HCPCS release and the E11 family of data/codes.json), so each import's index
rebuild takes a moment instead of seconds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import REPO, run_main
from .test_robustness import write_catalogue

FIXTURES = Path(__file__).parent / "fixtures" / "import"
CATALOGUE = REPO / "data" / "codes.json"


KEEP = ('"system":"CPT"', '"system":"HCPCS"', '"code":"E11', '"code":"4"', '"code":"E08-E13"')


@pytest.fixture(scope="module")
def small_records() -> list[dict[str, object]]:
    if not CATALOGUE.is_file():
        pytest.skip(f"{CATALOGUE} is not built")
    keep = []
    with CATALOGUE.open(encoding="utf-8") as fh:
        for line in fh:
            if any(key in line for key in KEEP):
                keep.append(json.loads(line.rstrip().rstrip(",")))
    return keep


Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_records: list[dict[str, object]]) -> Cli:
    """A private catalogue, data and cache directory, so imports never leak into other tests."""
    catalogue = write_catalogue(tmp_path / "codes.json", records=small_records)
    env = {
        "CODELOOKUP_CATALOGUE": str(catalogue),
        "CODELOOKUP_DATA_DIR": str(tmp_path / "data"),
        "CODELOOKUP_CACHE_DIR": str(tmp_path / "cache"),
    }

    def run(*args: str) -> tuple[int, str, str]:
        return run_main(*args, env=env, monkeypatch=monkeypatch)

    return run


def test_hcpcs_import_reaches_every_command(cli: Cli) -> None:
    code, _, err = cli("import", "hcpcs", str(FIXTURES / "HCPC2025_JAN_ANWEB_sample.txt"), "--force")
    assert code == 0 and "imported" in err
    code, out, _ = cli("search", "A4206", "--json")
    hit = json.loads(out)["results"][0]
    assert (hit["code"], hit["system"], hit["match"]) == ("A4206", "HCPCS", "exact-code")
    code, out, _ = cli("search", "syringe needle sterile", "--system", "hcpcs", "--json")
    assert "A4206" in [r["code"] for r in json.loads(out)["results"]]
    rec = json.loads(cli("show", "A9999", "--json")[1])["records"][0]
    assert rec["system"] == "HCPCS" and "fixture wording" in rec["title"]  # continuation lines joined
    systems = {r["name"]: r for r in json.loads(cli("systems", "--json")[1])["results"]}
    assert systems["HCPCS"]["origin"] == "imported" and systems["HCPCS"]["records"] > 0
    assert systems["ICD-10-CM"]["origin"] in ("bundled", "")
    top = json.loads(cli("browse", "HCPCS", "--json")[1])["results"]
    assert any(r["code"].startswith("A") for r in top)
    listed = json.loads(cli("import", "--list", "--json")[1])["results"]
    assert [r["kind"] for r in listed] == ["hcpcs"]
    assert cli("import", "--remove", "hcpcs")[0] == 0
    # Removing the import falls back to the bundled January 2026 release, not to nothing.
    systems = {r["name"]: r for r in json.loads(cli("systems", "--json")[1])["results"]}
    assert systems["HCPCS"]["release"] == "HCPCS Level II, January 2026"
    assert "fixture wording" not in json.loads(cli("show", "A9999", "--json")[1])["records"][0]["title"]
    assert cli("import", "--remove", "hcpcs")[0] == 1


def test_cpt_descriptors_are_added_to_our_pages(cli: Cli) -> None:
    assert cli("import", "cpt", str(FIXTURES / "cpt_descriptors_sample.tsv"))[0] == 0
    rec = json.loads(cli("show", "62264", "--json")[1])["records"][0]
    assert rec["sections"]["official_descriptor"].startswith("Licensed descriptor placeholder B")
    assert rec["sections"]["summary"]  # our plain-language page is kept
    systems = {r["name"]: r for r in json.loads(cli("systems", "--json")[1])["results"]}
    assert systems["CPT"]["origin"] == "bundled + imported"


def test_broken_import_is_one_line_and_keeps_the_previous_layer(cli: Cli) -> None:
    assert cli("import", "hcpcs", str(FIXTURES / "HCPC2025_JAN_ANWEB_sample.txt"), "--force")[0] == 0
    code, _, err = cli("import", "hcpcs", str(FIXTURES / "HCPC2025_JAN_ANWEB_broken_recid.txt"), "--force")
    assert code == 3 and err.count("\n") == 1 and "HCPC2025_JAN_ANWEB_broken_recid.txt:" in err
    assert cli("show", "A4206")[0] == 0


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
def test_import_usage_errors(cli: Cli, args: list[str], code: int) -> None:
    rc, _, err = cli(*args)
    assert rc == code and err.startswith("codelookup: ") and err.count("\n") == 1


def test_a_replace_import_keeps_our_written_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_records: list[dict[str, object]]
) -> None:
    # A system with written pages (has_pages) that is also imported in "replace" mode: the
    # official file brings codes and titles, our bundled page keeps its plain-language sections.
    from codelookup.systems import registry

    hcpcs = registry.get("HCPCS")
    assert hcpcs is not None and hcpcs.layer_mode == "replace"
    page = {"code": "A4206", "system": "HCPCS", "title": "Syringe with needle", "billable": True, "kind": "code",
            "parent": None, "sections": {"summary": "A small syringe with its needle, for one injection."}}  # fmt: skip
    others = [r for r in small_records if r["code"] != "A4206"]
    catalogue = write_catalogue(tmp_path / "codes.json", records=[*others, page])
    env = {"CODELOOKUP_CATALOGUE": str(catalogue), "CODELOOKUP_DATA_DIR": str(tmp_path / "data"),
           "CODELOOKUP_CACHE_DIR": str(tmp_path / "cache")}  # fmt: skip
    registry.register(hcpcs.replace(has_pages=True))
    try:
        assert run_main("import", "hcpcs", str(FIXTURES / "HCPC2025_JAN_ANWEB_sample.txt"), "--force", env=env,
                        monkeypatch=monkeypatch)[0] == 0  # fmt: skip
        code, out, _ = run_main("show", "A4206", "--json", env=env, monkeypatch=monkeypatch)
    finally:
        registry.register(hcpcs)
    rec = json.loads(out)["records"][0]
    assert code == 0 and rec["title"] != page["title"]  # the official title from the import
    assert rec["sections"]["summary"] == page["sections"]["summary"]  # our page survived
