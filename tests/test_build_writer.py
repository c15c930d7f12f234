"""Writer layout, checksum, atomic write, determinism, validation and ``--check``."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).parents[1]
if importlib.util.find_spec("codelookup") is None:  # checkout without an installed package
    sys.path.insert(0, str(REPO_ROOT / "src"))

from codelookup.build import pipeline, sources, writer  # noqa: E402
from codelookup.build.__main__ import main  # noqa: E402
from codelookup.build.validate import ensure_valid, validate_records  # noqa: E402
from codelookup.errors import CatalogueError  # noqa: E402


def rec(code: str, parent: str | None, billable: bool, kind: str = "code") -> dict[str, Any]:
    return {
        "code": code,
        "system": "ICD-10-PCS",
        "title": f"Title {code} é",
        "billable": billable,
        "kind": kind,
        "parent": parent,
    }


RECORDS = [
    rec("0", None, False, "section"),
    rec("00", "0", False, "body_system"),
    rec("001", "00", False, "table"),
    rec("0016070", "001", True),
]
SYSTEMS = {"ICD-10-PCS": {"name": "ICD-10-PCS", "counts": {"records": 4, "billable": 1}}}


def test_layout_and_checksum() -> None:
    data = writer.serialise("2026.04.01", SYSTEMS, {"_approach_definitions": {}}, RECORDS)
    lines = data.decode("utf-8").split("\n")
    header = json.loads(lines[0].rstrip().rstrip(",") + "}")
    assert header["format"] == "codelookup-catalogue" and header["schema_version"] == 1
    assert header["catalogue_release"] == "2026.04.01"
    assert header["systems"] == SYSTEMS
    body = data.split(b"\n", 1)[1]
    assert header["content_sha256"] == hashlib.sha256(body).hexdigest()
    assert lines[1] == '"pcs_tables":{"_approach_definitions":{}},'
    assert lines[2] == '"records":['
    assert all(line.endswith(",") for line in lines[3:6]) and not lines[6].endswith(",")
    assert lines[7:] == ["]}", ""]
    assert "é" in lines[3]  # ensure_ascii=False keeps the file small and readable
    whole = json.loads(data)
    assert whole["records"] == RECORDS


def test_serialise_is_deterministic_regardless_of_key_order() -> None:
    shuffled = [dict(reversed(list(r.items()))) for r in RECORDS]
    first = writer.serialise("2026.04.01", SYSTEMS, {}, RECORDS)
    assert writer.serialise("2026.04.01", SYSTEMS, {}, shuffled) == first


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "data" / "codes.json"
    writer.write_atomic(target, b"old\n")
    writer.write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert [p.name for p in target.parent.iterdir()] == ["codes.json"]
    assert target.stat().st_mode & 0o644 == 0o644


def test_validation_catches_structural_errors() -> None:
    problems = validate_records(
        [
            rec("0", None, True, "section"),
            rec("00", "0", False, "body_system"),
            rec("00", "0", False, "body_system"),
            rec("0016070", "001", True),
            rec("X", None, False, "chapter"),
            rec("0S", "0", False, "body_system"),
        ]
    )
    assert any("0S: not billable and has no children" in p for p in problems)
    assert any("0: billable but has children" in p for p in problems)
    assert any("00: duplicate code" in p for p in problems)
    assert any("0016070: parent 001 missing" in p for p in problems)
    assert any("unknown kind 'chapter'" in p for p in problems)


def test_counts_must_match_expected() -> None:
    with pytest.raises(CatalogueError, match="nothing written"):
        ensure_valid(RECORDS, SYSTEMS, {"ICD-10-PCS": {"records": 3}})
    ensure_valid(RECORDS, SYSTEMS, {"ICD-10-PCS": {"records": 4, "billable": 1}})


def test_refuses_to_write_invalid_catalogue(tmp_path: Path) -> None:
    cat = pipeline.Catalogue(systems=dict(SYSTEMS), records=[rec("0016070", "001", True)])
    with pytest.raises(CatalogueError):
        pipeline.finish(cat, expected={})


needs_inputs = pytest.mark.skipif(not sources.available(), reason="build extra not installed (pip install .[build])")


@needs_inputs
def test_check_passes_on_the_same_bytes_and_fails_on_any_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--check`` logic, with the rebuild replaced by the shipped bytes.

    That a real rebuild gives exactly those bytes is test_shipped_file_is_reproducible (one full
    build, about 10 s; two more here would add 20 s to every run of the suite for no new proof).
    """
    shipped = REPO_ROOT / "data" / "codes.json"
    if not shipped.is_file():
        pytest.skip("data/codes.json not built yet")
    first = shipped.read_bytes()
    content = tmp_path / "cpt"
    shutil.copytree(REPO_ROOT / "content" / "cpt", content)
    out = tmp_path / "codes.json"
    out.write_bytes(first)
    monkeypatch.setattr(pipeline, "steps", lambda content: [])
    monkeypatch.setattr(pipeline, "finish", lambda cat, expected=None: first)
    # The indexes companion is built from the catalogue's records, which the shortcut leaves empty;
    # test_shipped_file_is_reproducible checks it (and every side file) with a real rebuild.
    import codelookup.build.__main__ as build_main

    monkeypatch.setattr(build_main, "_indexes", lambda *args, **kwargs: True)
    assert main(["--output", str(out), "--content", str(content), "--check"]) == 0
    out.write_bytes(first.replace(b'"billable":true', b'"billable":false', 1))
    assert main(["--output", str(out), "--content", str(content), "--check"]) == 1
    assert main(["--output", str(tmp_path / "absent.json"), "--content", str(content), "--check"]) == 1
    # Without --check the build writes (atomically) what the pipeline made.
    assert main(["--output", str(out), "--content", str(content)]) == 0
    assert out.read_bytes() == first


@needs_inputs
def test_shipped_file_is_reproducible() -> None:
    """CI proof that data/codes.json is what the build makes from the repository's inputs.

    The shipped file was written by another process (another hash seed, another day), so this one
    rebuild, byte for byte the same, also proves the build deterministic.
    """
    shipped = REPO_ROOT / "data" / "codes.json"
    if not shipped.is_file():
        pytest.skip("data/codes.json not built yet")
    content = REPO_ROOT / "content" / "cpt"
    assert main(["--output", str(shipped), "--content", str(content), "--check"]) == 0
