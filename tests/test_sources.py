"""The vendored official releases are byte-identical to what SOURCES.tsv records.

A fresh clone rebuilds the catalogue from ``data/sources/``; if a file were edited, re-encoded or
left unlisted, the rebuild would no longer be reproducible or traceable to its origin.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

SOURCES = Path(__file__).resolve().parents[1] / "data" / "sources"


def _rows() -> list[dict[str, str]]:
    with open(SOURCES / "SOURCES.tsv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_every_vendored_file_matches_its_recorded_sha256() -> None:
    rows = _rows()
    assert rows, "SOURCES.tsv lists no files"
    for row in rows:
        data = (SOURCES / row["local_path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"], row["local_path"]
        for column in ("repo", "path_in_repo", "commit", "release", "licence"):
            assert row[column].strip(), f"{row['local_path']}: empty {column}"


def test_every_file_under_data_sources_is_listed() -> None:
    listed = {row["local_path"] for row in _rows()}
    present = {
        p.relative_to(SOURCES).as_posix()
        for p in SOURCES.rglob("*")
        if p.is_file() and p.name != "SOURCES.tsv"
    }
    assert present == listed
