"""The search-index cache: damaged, stale, unwritable or raced over, it must never break a run.

Each test points ``CODELOOKUP_CATALOGUE`` at a small catalogue in ``tmp_path`` and uses its own
cache directory, so an index builds in well under a second and the session's shared index for
the real catalogue is never touched (building for another catalogue deletes other indexes).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import codelookup_cmd
from .test_robustness import CATALOGUE, PROGRESS, SMALL_RECORDS, check_stderr, with_package_path, write_catalogue


@pytest.fixture
def small(tmp_path: Path) -> Path:
    if not CATALOGUE.is_file():
        pytest.skip(f"{CATALOGUE} not built: the small catalogues copy its header")
    return write_catalogue(tmp_path / "small.json")


def run(
    catalogue: Path, cache: Path | str | None, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run with exactly this catalogue and cache directory (None: no cache variables at all)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("CODELOOKUP_", "XDG_"))}
    with_package_path(full)
    full["CODELOOKUP_CATALOGUE"] = str(catalogue)
    if cache is not None:
        full["CODELOOKUP_CACHE_DIR"] = str(cache)
        full["CODELOOKUP_DATA_DIR"] = str(Path(cache).parent / "data")
    full.update(env or {})
    return subprocess.run([*codelookup_cmd(), *args], capture_output=True, env=full, timeout=120, check=False)


def isolated_env(catalogue: Path, cache: Path, data: Path) -> dict[str, str]:
    """This process's environment with only our own catalogue, cache and data directories."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODELOOKUP_")}
    with_package_path(env)
    env.update(
        CODELOOKUP_CATALOGUE=str(catalogue),
        CODELOOKUP_CACHE_DIR=str(cache),
        CODELOOKUP_DATA_DIR=str(data),
    )
    return env


def leftovers(cache: Path) -> list[Path]:
    """What a build left in the cache directory, apart from its (empty, reusable) lock file."""
    return sorted(p for p in cache.iterdir() if p.name != ".build.lock") if cache.exists() else []


def indexes(cache: Path) -> list[Path]:
    return sorted(cache.glob("index-*.sqlite"))


def index_is_valid(path: Path) -> bool:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        ok = con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        key = con.execute("SELECT value FROM meta WHERE key='key'").fetchone()
        return ok and key is not None and path.name == f"index-{key[0]}.sqlite"
    finally:
        con.close()


def first_code(proc: subprocess.CompletedProcess[bytes]) -> str:
    assert proc.returncode == 0, proc.stderr
    code: str = json.loads(proc.stdout)["results"][0]["code"]
    return code


def build(small: Path, cache: Path) -> Path:
    assert first_code(run(small, cache, "search", "diabetes", "--json")) == "E11.9"
    (path,) = indexes(cache)
    return path


# -- damaged index files ------------------------------------------------------------------
@pytest.mark.parametrize("damage", ["garbage", "empty", "truncated", "header"])
def test_damaged_index_file_is_rebuilt(small: Path, tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "cache"
    path = build(small, cache)
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(os.urandom(len(data)))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(b"\x00garbage" * 16 + data[128:])
    proc = run(small, cache, "search", "diabetes", "--json")
    assert first_code(proc) == "E11.9"
    assert b"building the search index" in proc.stderr
    assert indexes(cache) == [path] and index_is_valid(path)


def _damage_page(path: Path, table: str) -> None:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    (root,) = con.execute("SELECT rootpage FROM sqlite_master WHERE name=?", (table,)).fetchone()
    (page_size,) = con.execute("PRAGMA page_size").fetchone()
    con.close()
    with path.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\xa5" * page_size)


@pytest.mark.parametrize("fmt", ["plain", "table"])
def test_damage_inside_the_index_heals_on_the_next_run(small: Path, tmp_path: Path, fmt: str) -> None:
    # The key still matches, so the damage is found only when a query reads the page: that run
    # fails with one line (exit 3) and removes the file; the next run rebuilds it.
    cache = tmp_path / "cache"
    path = build(small, cache)
    _damage_page(path, "rec")
    failed = run(small, cache, "show", "E11.9", "--format", fmt)
    assert failed.returncode == 3, failed.stderr
    text = check_stderr(failed.stderr, error=True)
    assert "damaged" in text and str(cache) in text
    assert indexes(cache) == []
    healed = run(small, cache, "show", "E11.9", "--format", fmt)
    assert healed.returncode == 0, healed.stderr
    assert b"E11.9" in healed.stdout
    assert index_is_valid(indexes(cache)[0])


def test_full_cache_disk_is_an_io_error_and_leaves_nothing(tmp_path: Path) -> None:
    # RLIMIT_FSIZE stands in for a full disk: SQLite's writes fail part-way through the build
    # (Python ignores SIGXFSZ, so the write returns EFBIG instead of killing the process).
    catalogue = _medium(tmp_path)
    cache = tmp_path / "cache"
    env = isolated_env(catalogue, cache, tmp_path / "data")
    proc = subprocess.run(
        [*codelookup_cmd(), "search", "fracture"],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000)),
    )
    assert proc.returncode == 74, proc.stderr
    assert "input/output error" in check_stderr(proc.stderr, error=True)
    assert leftovers(cache) == []  # the half-written temp file was removed


def test_ctrl_c_during_the_build_leaves_no_temp_file(tmp_path: Path) -> None:
    # Deterministic whatever the machine's load: Ctrl-C lands somewhere after the announcement
    # (mid-build, during the rename, or after the build if this process was descheduled), and
    # in every case no temporary file is left and any index present is complete. The exit code
    # says which: 130 (interrupted) or 0 (the search finished first).
    catalogue = _medium(tmp_path, 30000)
    cache = tmp_path / "cache"
    env = isolated_env(catalogue, cache, tmp_path / "data")
    proc = subprocess.Popen(
        [*codelookup_cmd(), "search", "fracture"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert proc.stderr is not None
    assert b"building the search index" in proc.stderr.readline()  # the build has started
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert b"Traceback" not in err
    assert proc.returncode in (0, 130), err
    assert [p.name for p in leftovers(cache) if not p.name.startswith("index-")] == []  # no temp file
    assert all(index_is_valid(p) for p in indexes(cache))
    if proc.returncode == 0:  # the build won the race: a complete index
        assert len(indexes(cache)) == 1


def test_leftover_temp_file_from_a_crashed_build_is_harmless(small: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / ".index-crashed.tmp").write_bytes(b"half an index")
    assert first_code(run(small, cache, "search", "diabetes", "--json")) == "E11.9"
    assert len(indexes(cache)) == 1


# -- stale indexes ------------------------------------------------------------------------
def test_catalogue_changed_in_place_is_reindexed(small: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    old = build(small, cache)
    assert run(small, cache, "show", "I10").returncode == 0
    write_catalogue(small, records=[r for r in SMALL_RECORDS if r["code"] != "I10"])
    proc = run(small, cache, "show", "I10")
    assert proc.returncode == 1  # the old index (which has I10) was not used
    (new,) = indexes(cache)
    assert new != old and index_is_valid(new)


def test_index_of_another_catalogue_under_the_right_name_is_not_used(small: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    other_records: list[dict[str, Any]] = [
        {"billable": True, "code": "J45.909", "kind": "code", "parent": None, "system": "ICD-10-CM", "title": "Asthma"}
    ]
    other = write_catalogue(tmp_path / "other.json", records=other_records)
    other_cache = tmp_path / "other-cache"
    assert run(other, other_cache, "show", "J45.909").returncode == 0
    (other_index,) = indexes(other_cache)
    mine = build(small, cache)
    shutil.copyfile(other_index, mine)  # an index for a different catalogue, under this key's name
    proc = run(small, cache, "show", "J45.909")
    assert proc.returncode == 1, proc.stdout
    assert run(small, cache, "show", "E11.9").returncode == 0
    assert index_is_valid(mine)


def test_index_of_an_older_codelookup_is_not_used(small: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = build(small, cache)
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value='0000' WHERE key='key'")
    con.commit()
    con.close()
    proc = run(small, cache, "search", "diabetes", "--json")
    assert first_code(proc) == "E11.9" and b"building the search index" in proc.stderr
    assert index_is_valid(path)


# -- unwritable or missing cache directories ----------------------------------------------
@pytest.mark.parametrize("where", ["/proc/codelookup-forbidden/cache", "a-file", "/dev/null"])
def test_unwritable_cache_directory_still_works(small: Path, tmp_path: Path, where: str) -> None:
    if where == "a-file":
        target = tmp_path / "not-a-directory"
        target.write_text("x")
        where = str(target)
    proc = run(small, where, "search", "diabetes", "--json")  # builds in memory and still works
    assert first_code(proc) == "E11.9"
    lines = proc.stderr.decode().splitlines()
    assert all(line.startswith(PROGRESS) for line in lines), lines
    if where == str(tmp_path / "not-a-directory"):
        assert (tmp_path / "not-a-directory").read_text() == "x"  # nothing written over it


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories, so chmod proves nothing")
def test_read_only_cache_directory_still_works(small: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(0o555)
    try:
        assert first_code(run(small, cache, "search", "diabetes", "--json")) == "E11.9"
        assert indexes(cache) == []
    finally:
        cache.chmod(0o755)


def test_read_only_stale_index_in_a_read_only_directory(small: Path, tmp_path: Path) -> None:
    # The index can be rebuilt in memory when the directory holds a stale, undeletable index.
    cache = tmp_path / "cache"
    build(small, cache)
    write_catalogue(small, records=SMALL_RECORDS[:2])
    cache.chmod(0o555)
    try:
        proc = run(small, cache, "show", "I10")
        assert proc.returncode == 1  # the stale index (with I10) was not used
    finally:
        cache.chmod(0o755)


@pytest.mark.parametrize("home", ["/proc/codelookup-no-such-home", "missing"])
def test_home_that_does_not_exist(small: Path, tmp_path: Path, home: str) -> None:
    if home == "missing":
        home = str(tmp_path / "no" / "such" / "home")
    proc = run(small, None, "search", "diabetes", "--json", env={"HOME": home})
    assert first_code(proc) == "E11.9"
    if home.startswith(str(tmp_path)):  # creatable: the index went to $HOME/.cache/codelookup
        assert len(indexes(Path(home) / ".cache" / "codelookup")) == 1


def test_relative_xdg_cache_home_is_ignored(small: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = run(small, None, "search", "diabetes", "--json", env={"HOME": str(home), "XDG_CACHE_HOME": "relative"})
    assert first_code(proc) == "E11.9"
    assert len(indexes(home / ".cache" / "codelookup")) == 1


# -- concurrent cold starts ---------------------------------------------------------------
def _medium(tmp_path: Path, n: int = 10000) -> Path:
    """Enough records that the build takes a noticeable moment, so ten builds overlap."""
    words = [
        "acute",
        "chronic",
        "fracture",
        "femur",
        "radius",
        "diabetes",
        "kidney",
        "heart",
        "ulcer",
        "left",
        "right",
        "closed",
    ]
    records = [
        {
            "billable": True,
            "code": f"A{i // 1000:02d}.{i % 1000:03d}",
            "kind": "code",
            "parent": None,
            "system": "ICD-10-CM",
            "title": " ".join(words[(i * k) % len(words)] for k in range(1, 7)) + f" variant {i}",
        }
        for i in range(n)
    ]
    return write_catalogue(tmp_path / "medium.json", records=records)


def test_ten_cold_starts_at_once(small: Path, tmp_path: Path) -> None:
    catalogue = _medium(tmp_path)
    cache = tmp_path / "cache"
    env = isolated_env(catalogue, cache, tmp_path / "data")
    procs = [
        subprocess.Popen(
            [*codelookup_cmd(), "show", "A03.141", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for _ in range(10)
    ]
    results = [(p.communicate(timeout=300), p.returncode) for p in procs]
    for (out, err), rc in results:
        assert rc == 0, err
        assert json.loads(out)["records"][0]["code"] == "A03.141"
        assert all(line.startswith(PROGRESS) for line in err.decode().splitlines()), err
    builders = sum(b"search index ready" in err for (_, err), _ in results)
    assert builders >= 1  # usually several: they raced, and each renamed a complete file into place
    files = sorted(p.name for p in leftovers(cache))
    (index,) = indexes(cache)
    assert files == [index.name], files  # exactly one index, no temp files left behind
    assert index_is_valid(index)
