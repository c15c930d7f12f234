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


def test_layers_or_opt_out_build_in_the_cache(tmp_path: Path) -> None:
    _installed_prebuilt()
    env = {"CODELOOKUP_CACHE_DIR": str(tmp_path / "cache"), "CODELOOKUP_DATA_DIR": str(tmp_path / "data")}
    assert run_cli("import", "cpt", str(FIXTURES / "cpt_descriptors_sample.tsv"), env=env).returncode == 0
    result = run_cli("show", "62264", "--section", "official", env=env)
    assert b"Licensed descriptor placeholder B" in result.stdout  # the layer is merged: not the wheel's index
    assert list((tmp_path / "cache").glob("index-*.sqlite"))
    off = run_cli("search", "asthma", env={"CODELOOKUP_CACHE_DIR": str(tmp_path / "c2"), "CODELOOKUP_PREBUILT": "0"})
    assert off.returncode == 0 and list((tmp_path / "c2").glob("index-*.sqlite"))


def test_bundled_key_ignores_paths_and_times(tmp_path: Path) -> None:
    first = read_first_line(catalogue_file())
    copy = tmp_path / "codes.json"
    copy.write_bytes(first)
    assert index.bundled_key(read_first_line(copy)) == index.bundled_key(first)
    assert index.bundled_key(first + b"x") != index.bundled_key(first)
