"""HCPCS Level II imports from the fixed-width, CSV and xlsx forms of the CMS file."""

from __future__ import annotations

import csv
import itertools
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO_ROOT = Path(__file__).parents[1]
if str(REPO_ROOT / "src") not in sys.path:  # a checkout without the package installed
    sys.path.insert(0, str(REPO_ROOT / "src"))

from codelookup.errors import ImportFileError  # noqa: E402
from codelookup.importers import ImportKind, run_import  # noqa: E402
from codelookup.layers import list_layers, read_layer, remove_layer  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "import"
SAMPLE_TXT = FIXTURES / "HCPC2025_JAN_ANWEB_sample.txt"
SAMPLE_CSV = FIXTURES / "HCPC2025_JAN_ANWEB_sample.csv"


pytestmark = pytest.mark.usefixtures("data_dir")  # every test imports into its own layer folder


def _by_code(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    header, records = read_layer(path)
    return header, {r["code"]: r for r in records}


def _check_sample(header: dict[str, Any], recs: dict[str, dict[str, Any]]) -> None:
    assert header["kind"] == "hcpcs" and header["mode"] == "replace"
    counts = header["systems"]["HCPCS"]["counts"]
    assert counts["codes"] == 15 and counts["modifiers"] == 2 and counts["terminated"] == 1
    assert header["systems"]["HCPCS"]["release"] == "2025 January"

    # continuation lines joined in sequence order, across an unpadded middle line
    assert recs["A9999"]["title"] == (
        "Miscellaneous supply or accessory that has no specific code and needs a written "
        "description attached to the claim, fixture wording only, second line of three lines"
    )
    assert recs["J0120"]["title"].endswith("given by a route other than the mouth")
    assert recs["X9"]["title"].endswith("long arrangement that needs a second description line")

    # hierarchy: the bundled release's named ranges, each written as the span of the codes the
    # file has (as the build writes them: A0021-A0999, J0120-J0120 here), and a modifiers group
    assert recs["A0021"]["parent"] == "A0021-A0021"
    assert recs["A4206"]["parent"] == "A4206-A4206"  # supplies (A4000-A8999), not A0000-A9999
    assert recs["A9999"]["parent"] == "A9999-A9999"
    assert recs["A4206-A4206"]["kind"] == "section" and recs["A4206-A4206"]["parent"] is None
    assert recs["A4206-A4206"]["title"] == "Medical and surgical supplies"
    assert recs["J0120-J0120"]["title"].startswith("Drugs administered")
    assert recs["T1"]["kind"] == "modifier" and recs["T1"]["billable"] is False
    assert recs["T1"]["parent"] == "MODIFIERS" and recs["MODIFIERS"]["kind"] == "section"
    assert recs["A4206"]["billable"] is True and recs["A4206"]["kind"] == "code"
    groups = {c for c, r in recs.items() if r["kind"] == "section"}
    assert recs["G0999"]["parent"] == "G0008-G0999"  # two codes of one range
    spans = {"A0021", "A4206", "A9999", "B4034", "C1713", "E0100", "H0001", "J0120", "K0001", "L3000",
             "Q4100", "U0001", "V2020"}  # fmt: skip
    assert groups == {f"{c}-{c}" for c in spans} | {"G0008-G0999", "MODIFIERS"}
    for rec in recs.values():
        assert rec["system"] == "HCPCS"
        assert rec["parent"] is None or rec["parent"] in recs

    # short description as a search term, administrative fields kept
    assert recs["A4206"]["terms"] == ["Small sterile syringe"]
    details = recs["A4206"]["hcpcs"]
    assert details["add_date"] == "1984-01-01"
    assert details["effective_date"] == "2005-01-01"
    assert details["termination_date"] is None
    assert details["action_code"] == "N"
    assert details["short_description"] == "Small sterile syringe"

    # terminated before the file's quarter: kept and flagged; a future end date is not flagged
    assert recs["G0999"]["hcpcs"]["terminated"] is True
    assert recs["G0999"]["hcpcs"]["termination_date"] == "2024-12-31"
    assert recs["K0001"]["hcpcs"]["terminated"] is False
    assert recs["K0001"]["hcpcs"]["termination_date"] == "2025-12-31"


def test_fixed_width_file() -> None:
    seen: list[tuple[int, int]] = []
    result = run_import(ImportKind.HCPCS, SAMPLE_TXT, progress=lambda d, t: seen.append((d, t)), force=True)
    assert result.kind is ImportKind.HCPCS
    assert result.counts["codes"] == 15
    assert result.release == "2025 January"
    header, recs = _by_code(result.layer_path)
    _check_sample(header, recs)
    assert header["source_file"] == SAMPLE_TXT.name
    assert len(header["source_sha256"]) == 64
    assert result.record_count == len(recs)
    assert seen and seen[-1][0] == seen[-1][1]
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))


def test_csv_form_gives_the_same_records() -> None:
    _, from_txt = _by_code(run_import(ImportKind.HCPCS, SAMPLE_TXT, force=True).layer_path)
    header, from_csv = _by_code(run_import(ImportKind.HCPCS, SAMPLE_CSV, force=True).layer_path)
    _check_sample(header, from_csv)
    # The fixed-width form also carries the billing fields (pricing, BETOS, ...); the CSV does not.
    billing = {"pricing", "multiple_pricing", "cim", "mcm", "statute", "lab_certification", "cross_reference",
               "coverage", "asc_group", "asc_date", "processing_note", "betos", "type_of_service",
               "anesthesia_base_units"}  # fmt: skip
    for rec in from_txt.values():
        if "hcpcs" in rec:
            rec["hcpcs"] = {k: v for k, v in rec["hcpcs"].items() if k not in billing}
    assert from_csv == from_txt


def test_xlsx_form(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl", reason="openpyxl (test extra) not installed")
    book = openpyxl.Workbook()
    sheet = book.active
    with SAMPLE_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            sheet.append(row)
    target = tmp_path / "HCPC2025_JAN_ANWEB_sample.xlsx"
    book.save(target)
    header, recs = _by_code(run_import(ImportKind.HCPCS, target, force=True).layer_path)
    _check_sample(header, recs)


def test_xlsx_with_only_four_columns(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl", reason="openpyxl (test extra) not installed")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["HCPC", "SEQNUM", "RECID", "LONG DESCRIPTION"])
    sheet.append(["   Z1", "0010", "7", "Example modifier"])
    sheet.append(["A1234", "0010", "3", "Example supply, each"])
    target = tmp_path / "HCPC2030_OCT_ANWEB.xlsx"
    book.save(target)
    result = run_import(ImportKind.HCPCS, target, force=True)
    assert result.counts == {
        "codes": 1,
        "modifiers": 1,
        "terminated": 0,
        "groups": 2,
        "records": 4,
        "billable": 1,
    }
    _, recs = _by_code(result.layer_path)
    assert recs["Z1"]["title"] == "Example modifier"
    assert "terms" not in recs["A1234"]


def test_xlsx_is_read_without_openpyxl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain `pip install .` reads workbooks: the reader is the standard library's zip + XML."""
    openpyxl = pytest.importorskip("openpyxl", reason="openpyxl (test extra) writes the workbook")
    book = openpyxl.Workbook()
    sheet = book.active
    with SAMPLE_CSV.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            sheet.append(row)
    target = tmp_path / "HCPC2025_JAN_ANWEB_sample.xlsx"
    book.save(target)
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # makes `import openpyxl` fail
    header, recs = _by_code(run_import(ImportKind.HCPCS, target, force=True).layer_path)
    _check_sample(header, recs)


def test_cms_quarterly_zip_is_read_as_distributed(tmp_path: Path) -> None:
    """The zip CMS publishes imports directly (it failed with "sequence number '\\x00..'")."""
    import zipfile

    target = tmp_path / "january-2025-alpha-numeric-hcpcs-file.zip"
    with zipfile.ZipFile(target, "w") as zf:
        zf.write(SAMPLE_TXT, "HCPC2025_JAN_ANWEB_sample.txt")
        zf.writestr("HCPC2025_recordlayout.txt", "record layout")
        zf.writestr("NOC codes_JAN2025.xlsx", b"PK not read")
    _, from_txt = _by_code(run_import(ImportKind.HCPCS, SAMPLE_TXT, force=True).layer_path)
    result = run_import(ImportKind.HCPCS, target, force=True)
    assert result.release == "2025 January"
    header, from_zip = _by_code(result.layer_path)
    _check_sample(header, from_zip)
    assert from_zip == from_txt


def test_zip_without_the_data_file_is_one_clear_error(tmp_path: Path) -> None:
    import zipfile

    target = tmp_path / "something.zip"
    with zipfile.ZipFile(target, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ImportFileError, match=r"not a CMS HCPCS quarterly zip.*found none"):
        run_import(ImportKind.HCPCS, target, force=True)


def test_broken_xlsx_is_one_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "HCPC2025_JAN_ANWEB.xlsx"
    target.write_bytes(b"PK")
    with pytest.raises(ImportFileError, match=r"not a readable \.xlsx workbook"):
        run_import(ImportKind.HCPCS, target, force=True)


@pytest.mark.parametrize(
    ("name", "line", "reason"),
    [
        ("truncated", 6, "truncated line"),
        ("recid", 10, "bad record id '5'"),
        ("code", 9, "bad code '1713C'"),
        ("sequence", 8, "wrong sequence"),
    ],
)
def test_broken_files_fail_and_keep_the_previous_layer(
    name: str, line: int, reason: str, data_dir: Path
) -> None:
    good = run_import(ImportKind.HCPCS, SAMPLE_TXT, force=True).layer_path
    before = good.read_bytes()
    broken = FIXTURES / f"HCPC2025_JAN_ANWEB_broken_{name}.txt"
    with pytest.raises(ImportFileError) as info:
        run_import(ImportKind.HCPCS, broken, force=True)
    assert info.value.message.startswith(f"{broken.name}:{line}: ")
    assert reason in info.value.message
    assert info.value.exit_code == 3
    assert good.read_bytes() == before
    assert sorted(p.name for p in data_dir.iterdir()) == ["hcpcs.json"]


def test_continuation_without_first_line(tmp_path: Path) -> None:
    lines = SAMPLE_TXT.read_text(encoding="ascii").splitlines()
    target = tmp_path / "HCPC2025_JAN_ANWEB.txt"
    target.write_text("\n".join(lines[:14] + lines[15:]) + "\n", encoding="ascii")  # drop J0120/3
    with pytest.raises(ImportFileError, match=r":15: continuation line for J0120"):
        run_import(ImportKind.HCPCS, target, force=True)


def test_duplicate_code(tmp_path: Path) -> None:
    lines = SAMPLE_TXT.read_text(encoding="ascii").splitlines()
    target = tmp_path / "HCPC2025_JAN_ANWEB.txt"
    target.write_text("\n".join([*lines, lines[4]]) + "\n", encoding="ascii")
    with pytest.raises(ImportFileError, match=r":22: A4206 appears twice"):
        run_import(ImportKind.HCPCS, target, force=True)


def test_csv_missing_required_column(tmp_path: Path) -> None:
    target = tmp_path / "codes.csv"
    target.write_text("HCPC,SEQNUM,DESCRIPTION\nA1234,1,x\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"codes.csv:1: header row lacks column\(s\) RECID"):
        run_import(ImportKind.HCPCS, target, force=True)


def test_period_from_action_dates_when_name_has_none(tmp_path: Path) -> None:
    target = tmp_path / "hcpcs.txt"
    target.write_bytes(SAMPLE_TXT.read_bytes())
    result = run_import(ImportKind.HCPCS, target, force=True)
    assert result.release is None
    _, recs = _by_code(result.layer_path)
    # newest action date in the sample is 2025-01-01, so the 2024-12-31 end is in the past
    assert recs["G0999"]["hcpcs"]["terminated"] is True


def test_missing_file() -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        run_import(ImportKind.HCPCS, FIXTURES / "nope.txt", force=True)


def test_remove_and_list_after_import() -> None:
    run_import(ImportKind.HCPCS, SAMPLE_TXT, force=True)
    (info,) = list_layers()
    assert info.kind == "hcpcs" and info.source_file == SAMPLE_TXT.name
    assert info.record_count == 15 + 2 + 15  # codes, modifiers, 14 ranges + MODIFIERS
    assert remove_layer("hcpcs") is True
    assert list_layers() == []


_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz,()-/0123456789", min_size=1, max_size=12)


def _wrap(words: list[str], width: int = 80) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if len(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(words=st.lists(_WORDS, min_size=1, max_size=60))
def test_continuation_lines_rejoin_to_the_description(tmp_path: Path, words: list[str]) -> None:
    chunks = _wrap(words)
    first = chunks[0].ljust(80) + "Short".ljust(28)
    lines = [("A1234" + "00100" + "3" + first).ljust(268) + "20200101" * 2 + " " * 8 + "N"]
    for n, chunk in enumerate(chunks[1:], start=2):
        lines.append("A1234" + f"{n * 100:05d}" + "4" + chunk.ljust(80))
    target = tmp_path / "HCPC2025_JAN_ANWEB.txt"
    target.write_text("\n".join(lines) + "\n", encoding="ascii")
    _, recs = _by_code(run_import(ImportKind.HCPCS, target, force=True).layer_path)
    assert recs["A1234"]["title"] == " ".join(words)


def test_an_import_keeps_the_bundled_hierarchy(tmp_path: Path) -> None:
    """Importing the bundled release itself gave letter groups (J0000-J9999 > J1100) instead of the
    bundled ranges (J0013-J8999 > J1100), so `browse HCPCS` and every breadcrumb changed shape."""
    import zipfile

    from codelookup.build.hcpcs import load_release

    zpath = REPO_ROOT / "data" / "sources" / "hcpcs_2026_jan" / "january-2026-alpha-numeric-hcpcs-file.zip"
    _, bundled, _ = load_release(zpath)
    target = tmp_path / "HCPC2026_JAN_ANWEB.txt"
    with zipfile.ZipFile(zpath) as zf:
        member = next(n for n in zf.namelist() if n.endswith(".txt") and "ANWEB" in n)
        target.write_bytes(zf.read(member))
    _, imported = _by_code(run_import(ImportKind.HCPCS, target, force=True).layer_path)
    want = {r["code"]: r["parent"] for r in bundled}
    got = {c: r["parent"] for c, r in imported.items()}
    assert got == want
    sections = {r["code"]: r["title"] for r in bundled if r["kind"] == "section"}
    assert {c: r["title"] for c, r in imported.items() if r["kind"] == "section"} == sections
