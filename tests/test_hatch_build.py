"""The wheel's build hook leaves nothing behind and reuses an index it already built.

The hook runs in-process on a small catalogue cut from the real one (its header and first
records), with ``tempfile`` pointed at a folder of the test's own, so whatever the hook leaves
in the temporary directory is visible.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest

from codelookup.catalogue import catalogue_file

REPO = Path(__file__).resolve().parent.parent
RECORDS_FROM = 3  # header, PCS tables, then '"records":[' opens the list
pytest.importorskip("hatchling", reason="hatchling (the build backend) is not installed")


class _App:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def display_info(self, message: str) -> None:
        self.messages.append(message)

    display_warning = display_info


def _hook(root: Path) -> Any:
    spec = importlib.util.spec_from_file_location("codelookup_hatch_build", REPO / "hatch_build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PrebuiltIndexHook(str(root), {}, None, None, str(root / "dist"), "wheel", _App())


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root: a 300-record catalogue and a link to the real sources."""
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    with open(catalogue_file(), "rb") as src, open(root / "data" / "codes.json", "wb") as dst:
        dst.writelines(itertools.islice(src, RECORDS_FROM + 300))
        dst.write(b"]}\n")
    os.symlink(REPO / "src", root / "src")
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return root


def _build(root: Path) -> tuple[Any, dict[str, Any]]:
    hook = _hook(root)
    data: dict[str, Any] = {"force_include": {}}
    hook.initialize("standard", data)
    return hook, data


def test_wheel_hook_removes_its_temporary_index(project: Path) -> None:
    hook, data = _build(project)
    (built,) = data["force_include"]
    assert data["force_include"][built] == "codelookup/_data/index.sqlite"
    con = sqlite3.connect(f"file:{built}?mode=ro", uri=True)
    lines = (project / "data" / "codes.json").read_bytes().splitlines()[RECORDS_FROM:]
    assert con.execute("SELECT count(*) FROM rec").fetchone()[0] == sum(line.startswith(b"{") for line in lines)
    con.close()
    assert os.listdir(tempfile.gettempdir())  # the index exists while the wheel is written
    hook.finalize("standard", data, str(project / "dist" / "x.whl"))
    assert os.listdir(tempfile.gettempdir()) == []
    (kept,) = (project / "build" / "prebuilt-index").iterdir()  # one copy kept for the next build
    assert kept.name.startswith("index-b") and kept.suffix == ".sqlite"


def test_second_build_reuses_the_kept_index(project: Path) -> None:
    first, data = _build(project)
    first.finalize("standard", data, "")
    second, data = _build(project)
    assert any("reused" in m for m in second.app.messages)
    second.finalize("standard", data, "")
    assert os.listdir(tempfile.gettempdir()) == []


def test_failed_build_leaves_nothing_and_still_packages(project: Path) -> None:
    (project / "data" / "codes.json").write_text("not a catalogue\n")
    hook, data = _build(project)
    assert data["force_include"] == {}
    assert any("skipped" in m for m in hook.app.messages)
    assert os.listdir(tempfile.gettempdir()) == []
