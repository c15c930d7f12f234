"""Imports that cannot hurt: older or much smaller releases refused without --force, no temporary
file left by SIGTERM, stale temporary files cleaned, the official workbook read without openpyxl,
written pages kept when a newer HCPCS release replaces the bundled one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from codelookup.errors import ImportFileError
from codelookup.importers import ImportKind, clean_stale_temps, release_key, run_import
from codelookup.layers import read_layer

FIXTURES = Path(__file__).parent / "fixtures" / "import"
SAMPLE = FIXTURES / "HCPC2025_JAN_ANWEB_sample.txt"
REPO = Path(__file__).resolve().parents[1]
ZIP = REPO / "data" / "sources" / "hcpcs_2026_jan" / "january-2026-alpha-numeric-hcpcs-file.zip"


def test_release_keys_order_releases() -> None:
    assert release_key("HCPCS Level II, January 2026") == (2026, 1)
    assert release_key("2025 July") == (2025, 7)
    assert release_key("FY2026 (October 1, 2025)") == (2025, 10) == release_key("2026")
    assert release_key("2025 July") < release_key("HCPCS Level II, January 2026")  # type: ignore[operator]
    assert release_key("not stated in the file (imported 2026-01-05)") is None


def test_older_and_smaller_release_is_refused_without_force(data_dir: Path) -> None:
    with pytest.raises(ImportFileError) as info:
        run_import(ImportKind.HCPCS, SAMPLE)
    message = str(info.value)
    assert "older than the HCPCS release in use (HCPCS Level II, January 2026)" in message
    assert "fewer than the 8,623" in message and "--force" in message
    assert not (data_dir / "hcpcs.json").exists()


def test_force_imports_and_warns(data_dir: Path) -> None:
    warnings: list[str] = []
    result = run_import(ImportKind.HCPCS, SAMPLE, force=True, warn=warnings.append)
    assert result.layer_path.is_file()
    assert any("older than" in w for w in warnings) and any("fewer than" in w for w in warnings)


def test_stale_temp_files_are_cleaned_fresh_ones_kept(tmp_path: Path) -> None:
    stale, fresh = tmp_path / ".hcpcs.abc.tmp", tmp_path / ".hcpcs.def.tmp"
    stale.write_text("x")
    fresh.write_text("y")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    assert clean_stale_temps(tmp_path) == 1
    assert not stale.exists() and fresh.exists()


_KILL_DURING_WRITE = """
import os, signal, sys
from pathlib import Path
import codelookup.layers as layers
from codelookup.importers import ImportKind, run_import

def fsync(fd):  # the layer is half written: now the user (or systemd) sends SIGTERM
    os.kill(os.getpid(), signal.SIGTERM)

layers.os.fsync = fsync
run_import(ImportKind.HCPCS, Path(sys.argv[1]), force=True)
"""


def test_sigterm_during_import_leaves_no_temp_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "CODELOOKUP_DATA_DIR": str(data)}
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_DURING_WRITE, str(SAMPLE)], env=env, capture_output=True, timeout=120
    )
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
    imports = data / "imports"
    assert imports.is_dir() and list(imports.iterdir()) == []  # no layer, no temporary file


def test_official_workbook_matches_the_fixed_width_file(data_dir: Path, tmp_path: Path) -> None:
    """CMS's own .xlsx of January 2026, read by the standard-library reader, gives the codes,
    titles and billing fields of the fixed-width file of the same release."""
    with zipfile.ZipFile(ZIP) as zf:
        for member, name in (("HCPC2026_JAN_ANWEB_01122026.xlsx", "HCPC2026_JAN_ANWEB.xlsx"),
                             ("HCPC2026_JAN_ANWEB_01122026.txt", "HCPC2026_JAN_ANWEB.txt")):  # fmt: skip
            (tmp_path / name).write_bytes(zf.read(member))
    from codelookup.importers import hcpcs
    from codelookup.importers._common import Ticker

    book, book_counts, release = hcpcs.parse(tmp_path / "HCPC2026_JAN_ANWEB.xlsx", Ticker(None, 1))
    text, text_counts, _ = hcpcs.parse(tmp_path / "HCPC2026_JAN_ANWEB.txt", Ticker(None, 1))
    assert release == "2026 January"
    assert book_counts == text_counts and book_counts["codes"] == 8_623 and book_counts["modifiers"] == 383
    a, b = {r["code"]: r for r in book}, {r["code"]: r for r in text}
    assert set(a) == set(b)
    same_title = sum(" ".join(a[c]["title"].split()) == " ".join(b[c]["title"].split()) for c in b)
    assert same_title >= len(b) - 5  # CMS's two forms differ in a few line joins
    fields = ("pricing", "coverage", "betos", "type_of_service", "cross_reference", "processing_note")
    same_fields = sum(all(a[c].get("hcpcs", {}).get(f) == b[c].get("hcpcs", {}).get(f) for f in fields) for c in b)
    assert same_fields >= len(b) - 2


def test_written_pages_survive_a_newer_release(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user's HCPCS import replaces the bundled records, but a code we wrote a page for keeps it."""
    from codelookup import index

    run_import(ImportKind.HCPCS, SAMPLE, force=True)
    layer_header, layer_records = read_layer(data_dir / "hcpcs.json")
    code = next(r["code"] for r in layer_records if r["kind"] == "code" and r["billable"])
    bundled: list[dict[str, Any]] = [
        {"code": "X", "system": "HCPCS", "title": "group", "billable": False, "kind": "section", "parent": None},
        {
            "code": code,
            "system": "HCPCS",
            "title": "old official title",
            "billable": True,
            "kind": "code",
            "parent": "X",
            "family": "ours",
            "page_kind": "supply",
            "terms": ["our everyday name"],
            "sections": {"summary": "Our words."},
        },
    ]
    header = {"systems": {"HCPCS": {"name": "HCPCS", "release": "HCPCS Level II, January 2026"}}}
    systems, _, merged = index._merge_layers(header, {}, iter(bundled))
    records = {r["code"]: r for r in merged}
    rec = records[code]
    official = next(r for r in layer_records if r["code"] == code)
    assert rec["title"] == official["title"]  # the newer release's own title
    assert rec["sections"] == {"summary": "Our words."} and rec["family"] == "ours"
    assert "our everyday name" in rec["terms"]
    assert "X" not in records  # the bundled groups are replaced too
    assert systems["HCPCS"]["origin"] == "imported"
    assert json.dumps(layer_header)  # the layer itself is untouched
