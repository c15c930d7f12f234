"""Serialise the catalogue in its line-oriented JSON layout and write it atomically.

One JSON value per line keeps git diffs of ``data/codes.json`` small and lets the loader read the
header from line 1 alone; fixed ``json.dumps`` settings make the bytes depend only on the inputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from codelookup.build import FORMAT_NAME, SCHEMA_VERSION


def dumps(value: Any) -> str:
    """The one JSON encoding used for every value in the file."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def body_bytes(pcs_tables: Mapping[str, Any], records: Sequence[Mapping[str, Any]]) -> bytes:
    """Everything after line 1: the part ``content_sha256`` covers."""
    lines = [f'"pcs_tables":{dumps(pcs_tables)},', '"records":[']
    last = len(records) - 1
    lines.extend(dumps(rec) + ("," if i < last else "") for i, rec in enumerate(records))
    lines.append("]}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def header_line(release: str, systems: Mapping[str, Any], body: bytes) -> bytes:
    """Line 1: an incomplete JSON object the loader closes with ``rstrip(",") + "}"``."""
    head = (
        f'{{"format":{dumps(FORMAT_NAME)},"schema_version":{SCHEMA_VERSION},'
        f'"catalogue_release":{dumps(release)},'
        f'"content_sha256":{dumps(hashlib.sha256(body).hexdigest())},'
        f'"systems":{dumps(systems)},\n'
    )
    return head.encode("utf-8")


def serialise(
    release: str,
    systems: Mapping[str, Any],
    pcs_tables: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
) -> bytes:
    body = body_bytes(pcs_tables, records)
    return header_line(release, systems, body) + body


def read_header(path: Path) -> dict[str, Any]:
    """Parse line 1 the way the loader does (used by --check and tests)."""
    with path.open("rb") as handle:
        first = handle.readline().decode("utf-8")
    header: dict[str, Any] = json.loads(first.rstrip().rstrip(",") + "}")
    return header


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same directory so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would make the shipped file private
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
