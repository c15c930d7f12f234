"""``--help`` and ``--version`` without Typer (``fastpath``) print exactly what Typer prints.

The commands are taken from the Typer app itself, so a command added later is covered too.
Each Typer answer comes from a fresh cache directory (nothing recorded yet, so Typer prints
it); the recorded answer is then printed by a second process that must not import Typer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """``python -X importtime -m codelookup ARGS``: the entry point, with a record of what it imported."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "codelookup", *args],
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def _app_commands() -> list[str]:
    from typer.main import get_command

    from codelookup.cli import app

    return sorted(get_command(app).commands)  # type: ignore[attr-defined]


def _imports_typer(stderr: bytes) -> bool:
    """From ``-X importtime`` output: whether the process imported Typer."""
    return any(line.rsplit(b"|", 1)[-1].strip() == b"typer" for line in stderr.splitlines())


def test_recorded_help_is_byte_identical_to_typers_for_every_command(tmp_path: Path) -> None:
    commands = _app_commands()
    assert {"search", "show", "browse", "import"} <= set(commands)
    env = {"COLUMNS": "120", "PYTHONWARNINGS": "ignore"}
    for key in ["", *commands]:
        argv = [key, "--help"] if key else ["--help"]
        cache = tmp_path / (key or "top")
        typer_out = run_cli(*argv, env={**env, "CODELOOKUP_CACHE_DIR": str(cache)})
        assert typer_out.returncode == 0, typer_out.stderr
        assert _imports_typer(typer_out.stderr)
        assert list(cache.rglob("*.txt")), f"Typer's help for {argv} was not recorded"
        for again in ([key, "--help"], [key, "-h"]) if key else (["--help"], ["-h"]):
            fast = run_cli(*again, env={**env, "CODELOOKUP_CACHE_DIR": str(cache)})
            assert fast.returncode == 0
            assert not _imports_typer(fast.stderr), f"{again} imported Typer"
            assert fast.stdout == typer_out.stdout, f"{again} differs from Typer's help"


def test_version_without_typer_is_the_catalogue_header() -> None:
    from codelookup.catalogue import catalogue_file, read_header

    header = read_header(catalogue_file())
    for flag in ("--version", "-V"):
        out = run_cli(flag)
        assert out.returncode == 0 and not _imports_typer(out.stderr)
        assert out.stdout.decode() == (
            f"codelookup {__import__('codelookup').__version__}, catalogue "
            f"{header['catalogue_release']} (schema {header['schema_version']})\n"
        )
