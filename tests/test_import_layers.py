"""The layer file contract: atomic writes, strict reads, listing and removal."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).parents[1]
if str(REPO_ROOT / "src") not in sys.path:  # a checkout without the package installed
    sys.path.insert(0, str(REPO_ROOT / "src"))

import codelookup.layers as layers  # noqa: E402
from codelookup.errors import CatalogueError  # noqa: E402


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CODELOOKUP_DATA_DIR", str(tmp_path))
    return tmp_path / "imports"


def _records(n: int, title: str = "Example") -> list[dict[str, Any]]:
    return [
        {
            "code": f"A{i:04d}",
            "system": "HCPCS",
            "title": f"{title} {i}",
            "billable": True,
            "kind": "code",
            "parent": None,
        }
        for i in range(n)
    ]


def _header() -> dict[str, Any]:
    return {
        "imported_at": "2026-01-01T00:00:00Z",
        "source_file": "x.txt",
        "source_sha256": "0" * 64,
        "systems": {"HCPCS": {"name": "HCPCS Level II", "release": "2025 July"}},
    }


def test_layers_dir_follows_environment(data_dir: Path) -> None:
    assert layers.layers_dir() == data_dir


def test_round_trip_and_line_per_record_layout(data_dir: Path) -> None:
    path = layers.write_layer("hcpcs", _header(), _records(3))
    assert path == data_dir / "hcpcs.json"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith('"pcs_tables":')
    assert lines[2] == '"records":['
    assert lines[-1] == "]}"
    assert len(lines) == 3 + 3 + 1
    assert all(line.endswith(",") for line in lines[3:5]) and not lines[5].endswith(",")
    json.loads(path.read_text(encoding="utf-8"))  # the whole file is one JSON document

    header, records = layers.read_layer(path)
    assert header["format"] == "codelookup-layer"
    assert header["schema_version"] == 1
    assert header["kind"] == "hcpcs" and header["mode"] == "replace"
    assert header["record_count"] == 3
    assert header["pcs_tables"] == {}
    assert [r["code"] for r in records] == ["A0000", "A0001", "A0002"]


def test_pcs_tables_written_on_their_own_line() -> None:
    header = _header() | {"systems": {"ICD-10-PCS": {}}, "pcs_tables": {"0SR": {"x": 1}}}
    recs = [{"code": "0", "system": "ICD-10-PCS", "title": "Medical and Surgical"}]
    path = layers.write_layer("icd10pcs", header, recs)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "pcs_tables" not in lines[0]
    assert lines[1] == '"pcs_tables":{"0SR":{"x":1}},'
    head, _ = layers.read_layer(path)
    assert head["pcs_tables"] == {"0SR": {"x": 1}}


def test_cpt_layer_is_overlay() -> None:
    rec = {"code": "99213", "system": "CPT", "title": "t", "sections": {"official_descriptor": "t"}}
    path = layers.write_layer("cpt", _header(), [rec])
    header, _ = layers.read_layer(path)
    assert header["mode"] == "overlay"


def test_unknown_kind_refused() -> None:
    with pytest.raises(CatalogueError, match="unknown layer kind"):
        layers.write_layer("loinc", _header(), [])


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda t: t[: len(t) // 2], "invalid JSON"),
        (lambda t: t.replace('"schema_version":1', '"schema_version":2'), "schema_version 2"),
        (lambda t: t.replace('"format":"codelookup-layer"', '"format":"other"'), "format"),
        (lambda t: t.replace('"mode":"replace"', '"mode":"overlay"'), "mode"),
        (
            lambda t: t.replace(
                '"system":"HCPCS","title":"Example 1"', '"system":"CPT","title":"x"'
            ),
            "record 2",
        ),
    ],
)
def test_corrupt_layer_names_file_and_problem(mutate: Any, expected: str) -> None:
    path = layers.write_layer("hcpcs", _header(), _records(3))
    path.write_text(mutate(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(CatalogueError) as info:
        layers.read_layer(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_failed_write_keeps_previous_layer_and_leaves_no_temp_file(data_dir: Path) -> None:
    path = layers.write_layer("hcpcs", _header(), _records(5))
    before = path.read_bytes()
    bad = _records(5)
    bad[3]["title"] = object()  # not JSON-serialisable: fails half-way through the write
    with pytest.raises(TypeError):
        layers.write_layer("hcpcs", _header(), bad)
    assert path.read_bytes() == before
    assert sorted(p.name for p in data_dir.iterdir()) == ["hcpcs.json"]


def test_concurrent_writers_leave_one_complete_layer(data_dir: Path) -> None:
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            layers.write_layer("hcpcs", _header(), _records(200 + n, title=f"writer{n}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    header, records = layers.read_layer(data_dir / "hcpcs.json")
    assert len(records) == header["record_count"]
    writer = records[0]["title"].split()[0]
    assert all(r["title"].startswith(writer + " ") for r in records)  # no mixture
    assert sorted(p.name for p in data_dir.iterdir()) == ["hcpcs.json"]


def test_list_layers_reads_headers_and_reports_corrupt_files(data_dir: Path) -> None:
    assert layers.list_layers() == []
    layers.write_layer("hcpcs", _header(), _records(4))
    cpt = {"code": "99213", "system": "CPT", "title": "t"}
    layers.write_layer("cpt", _header() | {"systems": {"CPT": {}}}, [cpt])
    listed = {info.kind: info for info in layers.list_layers()}
    assert list(listed) == ["cpt", "hcpcs"]  # display order of the registry
    assert listed["hcpcs"].record_count == 4
    assert listed["hcpcs"].mode == "replace"
    assert listed["hcpcs"].source_file == "x.txt"
    assert listed["hcpcs"].imported_at == "2026-01-01T00:00:00Z"
    assert listed["hcpcs"].systems["HCPCS"]["release"] == "2025 July"
    assert listed["cpt"].mode == "overlay" and listed["cpt"].problem is None

    (data_dir / "cpt.json").write_text("garbage\n", encoding="utf-8")
    listed = {info.kind: info for info in layers.list_layers()}
    assert listed["cpt"].problem is not None and "cpt.json" in listed["cpt"].problem
    assert listed["hcpcs"].problem is None


def test_remove_layer() -> None:
    assert layers.remove_layer("hcpcs") is False
    path = layers.write_layer("hcpcs", _header(), _records(1))
    assert layers.remove_layer("hcpcs") is True
    assert not path.exists()
    assert layers.list_layers() == []


def test_unwritable_folder_is_a_catalogue_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("CODELOOKUP_DATA_DIR", str(blocker))  # imports/ cannot be created in a file
    with pytest.raises(CatalogueError, match="cannot write imported layers in"):
        layers.write_layer("hcpcs", _header(), _records(1))
