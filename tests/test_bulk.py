"""Analysts' tools: bulk ``validate`` (library and CLI), ``annotate`` on pandas and polars, ``export``."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codelookup.bulk import EXPORT_COLUMNS, run_export, run_validate
from codelookup.errors import UsageError
from codelookup.validation import FIELDS, CodeTable, code_table, validate, validate_columns


@pytest.fixture(scope="module")
def table(lib: Any) -> CodeTable:
    return code_table(lib.con)


def test_validate_agrees_with_show_on_2000_random_codes(lib: Any, table: CodeTable) -> None:
    rng = random.Random(20261129)
    by_system: dict[str, list[int]] = {}
    # A string written identically in two systems (HCPCS modifier BL, ICD-10-PCS body system BL)
    # has one reading without a system; it is checked in the tests of the same-string rule.
    seen: dict[str, int] = {}
    for code in table.code:
        seen[code] = seen.get(code, 0) + 1
    for i, system in enumerate(table.system):
        if seen[table.code[i]] == 1:
            by_system.setdefault(system, []).append(i)
    per = 2_000 // len(by_system)  # every system, equally (a fixed seed: the same codes each run)
    rows = [i for ids in by_system.values() for i in rng.sample(ids, min(per, len(ids)))]
    result = validate_columns([table.code[i] for i in rows], None, FIELDS, table)
    # A code displayed identically in two systems (PCS table 001 and MS-DRG 001, ICD-10-CM and
    # ICD-9-CM V01.0) is checked by test_shared_codes_resolve_to_the_current_system instead.
    seen: dict[str, int] = {}
    for c in table.code:
        seen[c] = seen.get(c, 0) + 1
    for k, i in enumerate(rows):
        code, system = table.code[i], table.system[i]
        if seen[code] > 1:
            continue
        shown = {d.record.system: d.record for d in lib.lookup_all(code, systems=[system], by_wording=False)}[system]
        assert result["code"][k] == shown.code
        assert result["system"][k] == system
        assert result["title"][k] == shown.title
        status = (shown.extra or {}).get("status")
        assert result["billable"][k] == (shown.billable and not status), code


def test_shared_codes_resolve_to_the_current_system() -> None:
    # issue 18: ICD-9-CM is opt-in and retired; a code that is also an ICD-10-CM code means that one
    res = validate(["V01.0", "250.00"])
    assert res["system"] == ["ICD-10-CM", "ICD-9-CM"]
    assert res["valid"][1] is False and res["reason"][1] == "retired 2015-09-30"


def test_every_spelling_of_a_code_resolves(table: CodeTable) -> None:
    res = validate(["E11.9", "E119", "e11.9", " e119 ", "I10", "0SRC0J9", "0src0j9"])
    assert res["code"] == ["E11.9", "E11.9", "E11.9", "E11.9", "I10", "0SRC0J9", "0SRC0J9"]
    assert all(res["valid"]) and all(res["billable"])


def test_reasons_for_codes_that_are_not_valid_or_not_billable() -> None:
    res = validate(["W21.89A", "ZZZ999", "E11", "", "A00-A09"])
    assert res["reason"][0] == "placeholder X missing: W21.89XA" and res["code"][0] == "W21.89XA"
    assert res["reason"][1] == "no such code" and res["valid"][1] is False
    assert res["reason"][2] == "a category, not billable: add characters"
    assert res["valid"][2] is True and res["billable"][2] is False
    assert res["reason"][3] == "empty"
    assert res["reason"][4] == "a heading, not a code" and res["valid"][4] is False


def test_system_filter_and_unknown_system(table: CodeTable) -> None:
    assert validate(["E11.9"], system="pcs")["valid"] == [False]
    assert validate(["E11.9"], system="cm")["valid"] == [True]
    with pytest.raises(UsageError):
        validate(["E11.9"], system="nope")
    with pytest.raises(UsageError):
        validate(["E11.9"], fields=("valid", "colour"))


def test_summary_counts_by_reason() -> None:
    s = validate(["E11.9", "ZZZ", "QQQ", "E11"]).summary()
    assert s == {"n": 4, "valid": 2, "billable": 1, "invalid": 2, "invalid_by_reason": {"no such code": 2}}


def _run(text: str, **kw: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = run_validate(io.StringIO(text), out, err, **kw)
    return rc, out.getvalue(), err.getvalue()


def test_cli_validate_streams_jsonl_with_a_summary() -> None:
    rc, out, err = _run("E119\ni10\n\nZZZ\n")
    lines = [json.loads(line) for line in out.splitlines()]
    assert [d["input"] for d in lines] == ["E119", "i10", "ZZZ"]
    assert list(lines[0]) == list(FIELDS)
    assert lines[2] == {"input": "ZZZ", "code": None, "system": None, "valid": False, "billable": False,
                        "status": None, "status_date": None, "title": None, "reason": "no such code"}  # fmt: skip
    assert rc == 0
    assert err == "codelookup: 3 codes: 2 valid, 2 billable, 1 invalid (no such code 1)\n"


def test_cli_validate_csv_column_and_strict() -> None:
    rc, out, _ = _run("claim,dx\n1,E119\n2,ZZZ\n", column="dx", fmt="csv", strict=True, fields=("input", "valid"))
    assert out.splitlines() == ["input,valid", "E119,true", "ZZZ,false"]
    assert rc == 1
    rc, out, _ = _run("E119\tx\nI10\ty\n", column="1", fmt="csv", fields=("code",))
    assert out.splitlines() == ["code", "E11.9", "I10"] and rc == 0
    with pytest.raises(UsageError):
        _run("a,b\n1,2\n", column="nope")


def test_cli_validate_through_typer(runner: Any) -> None:
    from codelookup.cli import app

    result = runner.invoke(app, ["validate", "-", "--strict"], input="E11.9\nNOPE\n")
    assert result.exit_code == 1
    assert '"reason":"no such code"' in result.stdout


def test_pandas_and_polars_inputs_and_annotate() -> None:
    pd = pytest.importorskip("pandas", reason="pandas not installed (pip install '.[test]')")
    pl = pytest.importorskip("polars", reason="polars not installed (pip install '.[test]')")
    from codelookup import annotate

    df = pd.DataFrame({"claim": [1, 2, 3], "dx": ["E119", "ZZZ", "I10"]}, index=[10, 20, 30])
    out = annotate(df, "dx", fields=("valid", "title"))
    assert list(out.columns) == ["claim", "dx", "valid", "title"]
    assert out["valid"].tolist() == [True, False, True] and list(out.index) == [10, 20, 30]
    frame = validate(df["dx"])
    assert list(frame.index) == [10, 20, 30] and frame["code"].tolist()[0] == "E11.9"
    pdf = pl.DataFrame({"dx": ["E119", "ZZZ"]})
    pout = annotate(pdf, "dx", fields=("billable",), prefix="dx_")
    assert pout.columns == ["dx", "dx_billable"] and pout["dx_billable"].to_list() == [True, False]
    with pytest.raises(UsageError):
        annotate(df, "missing")


def test_importing_codelookup_imports_no_dataframe_library() -> None:
    code = (
        "import sys, codelookup, codelookup.validation, codelookup.bulk; "
        "bad = [m for m in ('pandas', 'polars', 'pyarrow', 'dask') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, check=False).returncode == 0


def test_export_parquet_reads_back_with_the_documented_schema(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow not installed (pip install '.[test]')")
    from codelookup.bulk import parquet_schema

    path = tmp_path / "codes.parquet"
    err = io.StringIO()
    run_export("parquet", str(path), ["cm"], io.StringIO(), err)
    t = pq.read_table(path)
    assert t.schema.equals(parquet_schema())
    assert [f.name for f in t.schema] == [name for name, _ in EXPORT_COLUMNS]
    rows = {r["code"]: r for r in t.to_pylist() if r["code"] in ("E11.9", "E11")}
    assert rows["E11.9"]["billable"] is True and rows["E11"]["billable"] is False
    assert rows["E11"]["excludes1"] and rows["E11.9"]["parent"] == "E11"
    assert "250.00" in rows["E11.9"]["gem_equivalents"]  # crosswalks where present (CMS GEMs)
    assert set(t.column("system").to_pylist()) == {"ICD-10-CM"}
    assert "exported" in err.getvalue()


def test_export_sqlite_csv_jsonl(tmp_path: Path) -> None:
    import csv
    import sqlite3

    db = tmp_path / "codes.sqlite"
    run_export("sqlite", str(db), ["cpt"], io.StringIO(), io.StringIO())
    con = sqlite3.connect(db)
    assert con.execute("SELECT title FROM codes WHERE code='62264'").fetchone()[0]
    out = io.StringIO()
    run_export("csv", None, ["cpt"], out, io.StringIO())
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == con.execute("SELECT count(*) FROM codes").fetchone()[0]
    assert {r["billable"] for r in rows} <= {"true", "false"}
    out = io.StringIO()
    run_export("jsonl", None, ["cpt"], out, io.StringIO())
    assert len(out.getvalue().splitlines()) == len(rows)
    with pytest.raises(UsageError):
        run_export("parquet", None, [], io.StringIO(), io.StringIO())
    with pytest.raises(UsageError):
        run_export("xlsx", "x", [], io.StringIO(), io.StringIO())
    assert not list(tmp_path.glob(".*.tmp"))


def test_export_parquet_without_pyarrow_exits_3_like_group_without_drgpy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It exited 2 (usage error) while `group` without drgpy exits 3; a missing extra is not a usage error."""
    from codelookup.errors import CatalogueError, ExitCode

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    target = tmp_path / "codes.parquet"
    with pytest.raises(CatalogueError, match="needs the pyarrow package") as info:
        run_export("parquet", str(target), ["cm"], io.StringIO(), io.StringIO())
    assert info.value.exit_code == ExitCode.DATA == 3
    assert list(tmp_path.iterdir()) == []  # no partial or temporary file left
