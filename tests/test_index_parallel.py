"""The coders' indexes filled by a forked child give the same search index as one process, and a
child that fails leaves the build to fill them itself; nothing is left in the temp directory.

Each case runs in a fresh interpreter: the build forks only in a single-threaded process (as the
CLI is), and a pytest-xdist worker runs threads of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codelookup.catalogue import catalogue_file

from .test_robustness import with_package_path, write_catalogue

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or (os.cpu_count() or 1) < 2, reason="the build forks only with os.fork and 2+ CPUs"
)

SCRIPT = r"""
import json, os, sqlite3, sys, tempfile
from codelookup import index, index_parallel
from codelookup.catalogue import read_first_line

cat, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
os.environ["CODELOOKUP_CATALOGUE"] = cat
children = []
real = index_parallel.start
def keeping(*args):
    child = real(*args)
    if child is not None:
        children.append(child)
    return child
index_parallel.start = keeping
if mode == "broken":
    def broken(*args):
        raise RuntimeError("the child fails")
    index_parallel._child = broken
os.environ[index.ENV_PARALLEL] = "0" if mode == "one" else "1"
before = sorted(p for p in os.listdir(tempfile.gettempdir()) if p.startswith("codelookup-ix-"))
index.build_index(out, cat, index.index_key(cat, read_first_line(cat), []), progress=False, use_layers=False)
after = sorted(p for p in os.listdir(tempfile.gettempdir()) if p.startswith("codelookup-ix-"))
reaped = True
for c in children:
    try:
        os.waitpid(c.pid, os.WNOHANG)
        reaped = False
    except ChildProcessError:
        pass
print(json.dumps({"statuses": [c.status for c in children], "leftovers": after != before, "reaped": reaped}))
"""


def _small_with_companion(tmp_path: Path) -> Path:
    """Real ICD-10-CM records beside the bundled coders' indexes (so the fill resolves codes)."""
    cat = write_catalogue(tmp_path / "codes.json")
    companion = Path(catalogue_file()).parent / "indexes.json.gz"
    if not companion.is_file():
        pytest.skip("no coders' indexes companion beside the catalogue")
    shutil.copyfile(companion, tmp_path / "indexes.json.gz")
    return cat


def _build(cat: Path, db: Path, mode: str) -> dict[str, object]:
    import json

    env = with_package_path({k: v for k, v in os.environ.items() if not k.startswith("CODELOOKUP_")})
    env["CODELOOKUP_DATA_DIR"] = str(db.parent / "data")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(cat), str(db), mode], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def _tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        names = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        out = {n: con.execute(f"SELECT * FROM {n}").fetchall() for n in names if n != "meta"}
        out["schema"] = con.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        return out
    finally:
        con.close()


def test_a_child_builds_the_same_tables_and_a_failing_one_is_replaced(tmp_path: Path) -> None:
    cat = _small_with_companion(tmp_path)
    assert _build(cat, tmp_path / "two.sqlite", "two") == {"statuses": [0], "leftovers": False, "reaped": True}
    # a child that fails: the build fills the tables itself, exactly as with CODELOOKUP_PARALLEL_BUILD=0
    assert _build(cat, tmp_path / "one.sqlite", "broken") == {"statuses": [1], "leftovers": False, "reaped": True}
    one = _tables(tmp_path / "one.sqlite")
    assert len(one["ixe"]) > 100_000 and one["ixa"]  # the coders' indexes are there, and resolve
    assert _tables(tmp_path / "two.sqlite") == one


def test_no_fork_beside_other_threads(tmp_path: Path) -> None:
    import threading

    from codelookup import index_parallel

    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=True)
    worker.start()
    try:
        assert index_parallel.start(tmp_path / "codes.json", False) is None
    finally:
        stop.set()
        worker.join()


def test_no_temporary_directory_means_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from codelookup import index_parallel

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    assert index_parallel.start(tmp_path / "codes.json", False) is None
