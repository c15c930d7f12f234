"""The wheel ships a search index for its catalogue; the first run uses it instead of building."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from codelookup import index
from codelookup.catalogue import catalogue_file, read_first_line

from .conftest import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def _installed_prebuilt() -> str:
    if not os.path.isfile(index.PREBUILT):
        pytest.skip("no prebuilt index next to the package (a source checkout, not an installed wheel)")
    return index.PREBUILT


def test_prebuilt_index_matches_the_bundled_catalogue() -> None:
    path = _installed_prebuilt()
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    stored = con.execute("SELECT value FROM meta WHERE key='key'").fetchone()[0]
    assert stored == index.bundled_key(read_first_line(catalogue_file()))


def test_first_run_uses_it_and_writes_no_cache(tmp_path: Path) -> None:
    _installed_prebuilt()
    cache = tmp_path / "cache"
    result = run_cli("search", "epidural", env={"CODELOOKUP_CACHE_DIR": str(cache)})
    assert result.returncode == 0 and b"building" not in result.stderr
    assert not cache.exists()


def test_layers_build_in_the_cache(tmp_path: Path) -> None:
    _installed_prebuilt()
    env = {"CODELOOKUP_CACHE_DIR": str(tmp_path / "cache"), "CODELOOKUP_DATA_DIR": str(tmp_path / "data")}
    assert run_cli("import", "cpt", str(FIXTURES / "cpt_descriptors_sample.tsv"), env=env).returncode == 0
    result = run_cli("show", "62264", "--section", "official", env=env)
    assert b"Licensed descriptor placeholder B" in result.stdout  # the layer is merged: not the wheel's index
    assert list((tmp_path / "cache").glob("index-*.sqlite"))


class _WouldBuild(Exception):
    pass


def test_opting_out_builds_in_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CODELOOKUP_PREBUILT=0 passes the wheel's index by and builds one in the cache directory
    (the build itself is stopped at its start: a full build is tested elsewhere, in 7 s)."""
    _installed_prebuilt()
    cache = tmp_path / "c2"
    monkeypatch.setenv("CODELOOKUP_CACHE_DIR", str(cache))
    targets: list[str] = []

    def build(path: str, *args: object, **kwargs: object) -> None:
        targets.append(path)
        raise _WouldBuild

    monkeypatch.setattr(index, "build_index", build)
    index.connect(progress=False).close()  # the wheel's index: nothing built
    assert targets == []
    monkeypatch.setenv("CODELOOKUP_PREBUILT", "0")
    with pytest.raises(_WouldBuild):
        index.connect(progress=False)
    assert len(targets) == 1 and Path(targets[0]).parent == cache
    assert not list(cache.glob(".index-*"))  # the interrupted build left nothing behind


def test_bundled_key_ignores_paths_and_times(tmp_path: Path) -> None:
    first = read_first_line(catalogue_file())
    copy = tmp_path / "codes.json"
    copy.write_bytes(first)
    assert index.bundled_key(read_first_line(copy)) == index.bundled_key(first)
    assert index.bundled_key(first + b"x") != index.bundled_key(first)
