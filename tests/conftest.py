"""Shared test set-up: an isolated cache and data directory, a pinned Rich width, no colour.

The search index is built once per test session into a temporary cache directory that every
test and every subprocess shares, so the suite pays the one-time build cost once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def pytest_configure(config: pytest.Config) -> None:
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="codelookup-tests-"))
    os.environ["CODELOOKUP_CACHE_DIR"] = str(base / "cache")
    os.environ["CODELOOKUP_DATA_DIR"] = str(base / "data")
    os.environ.pop("CODELOOKUP_CATALOGUE", None)
    # The suite already keeps both cores busy (pytest-xdist): an index build's second process
    # would only add CPU. tests/test_index_parallel.py turns it on where it is the subject.
    os.environ["CODELOOKUP_PARALLEL_BUILD"] = "0"
    # Rich: fixed width, no colour, no terminal detection surprises.
    os.environ["COLUMNS"] = "100"
    os.environ["NO_COLOR"] = "1"
    os.environ["TERM"] = "dumb"
    config._codelookup_tmp = base  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    base = getattr(config, "_codelookup_tmp", None)
    if base is not None:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def lib() -> Iterator[object]:
    from codelookup.api import Library

    library = Library(progress=False)
    _ = library.con
    yield library


@pytest.fixture(scope="session")
def runner() -> object:
    from typer.testing import CliRunner

    return CliRunner()


def codelookup_cmd() -> list[str]:
    """The console script of this interpreter's environment when present, else ``-m``.

    Never the first ``codelookup`` on PATH: that may belong to another installation.
    """
    script = Path(sys.executable).parent / ("codelookup.exe" if os.name == "nt" else "codelookup")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "codelookup"]


def run_cli(
    *args: str, input: bytes | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run(
        [*codelookup_cmd(), *args],
        input=input,
        capture_output=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private user data directory; returns the folder where import layers land."""
    monkeypatch.setenv("CODELOOKUP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data" / "imports"


@pytest.fixture
def shared_eval() -> Path:
    path = SHARED / "eval"
    if not path.is_dir():
        pytest.skip(f"../shared/eval not found at {path}: evaluation data absent")
    return path


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """``codelookup serve`` on a free loopback port, in a thread of this process."""
    import threading

    from codelookup.web.server import make_server

    server, worker = make_server("127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        worker.close()


def run_main(
    *args: str, input: str = "", env: dict[str, str] | None = None, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """Run the entry point in this process (fast path, else Typer), as the console script would.

    stdin, stdout and stderr are StringIO streams; ``env`` is applied with ``monkeypatch``. Use a
    subprocess (``run_cli``) only for what needs a real process: pipes, signals, cold starts.
    """
    import io

    from codelookup.__main__ import main

    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.StringIO(input))
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="session")
def session_index(lib: object) -> Path:
    """The index of the bundled catalogue without import layers, as imports find it to update.

    The session's own (built once) in a checkout, the wheel's prebuilt one when installed. Tests
    that need "the catalogue's own index" as a starting point link it into their own cache
    directory (:func:`seed_cache`) instead of building another (about 6 s each).
    """
    from codelookup import index
    from codelookup.catalogue import catalogue_file, read_first_line

    cat = str(catalogue_file())
    found = index._base_index(cat, read_first_line(cat), os.environ["CODELOOKUP_CACHE_DIR"])
    assert found is not None
    return Path(found)


def seed_cache(index_file: Path, cache: Path) -> None:
    """Put the session's index into the cache directory ``cache`` (a hard link, else a copy).

    The wheel's prebuilt index needs no seeding: every cache directory finds it.
    """
    cache.mkdir(parents=True, exist_ok=True)
    if not index_file.name.startswith("index-"):
        return
    target = cache / index_file.name
    try:
        os.link(index_file, target)
    except OSError:
        shutil.copyfile(index_file, target)
