"""A licensed user's own CPT descriptor file, imported as an overlay.

CPT descriptors belong to the AMA, so the product never ships them; a user who holds a licence
can point us at their file. Two shapes are accepted: ``code<TAB>descriptor`` lines, or a
two-column CSV (``code,descriptor``, quoted fields allowed). A header row is recognised by a
first field that is not a code but mentions "code".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codelookup.importers._common import Layer, ParsedRelease, Ticker, fail, read_text

SYSTEM = "CPT"
# Category I (5 digits), Category II (4 digits + F), Category III (4 digits + T).
CODE_RE = re.compile(r"[0-9]{4}[0-9FT]")


def _split(path: Path, text: str) -> list[tuple[int, list[str]]]:
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if "\t" in first:
        return [(n, ln.split("\t")) for n, ln in enumerate(lines, start=1) if ln.strip()]
    try:
        reader = csv.reader(io.StringIO(text))
        out: list[tuple[int, list[str]]] = []
        for fields in reader:
            if any(f.strip() for f in fields):
                out.append((reader.line_num, fields))
        return out
    except csv.Error as exc:
        raise fail(path, None, f"not a valid CSV file ({exc})") from exc


def parse(path: Path, ticker: Ticker) -> tuple[list[dict[str, Any]], dict[str, int], str | None]:
    rows = _split(path, read_text(path))
    ticker.total = max(len(rows), 1)
    seen: dict[str, str] = {}
    records: list[dict[str, Any]] = []
    for index, (line, fields) in enumerate(rows):
        ticker(index + 1)
        code = fields[0].strip().upper()
        if index == 0 and not CODE_RE.fullmatch(code) and "code" in code.lower():
            continue  # header row
        if len(fields) < 2:
            raise fail(path, line, "expected two columns: code and descriptor")
        if len(fields) > 2 and any(f.strip() for f in fields[2:]):
            raise fail(path, line, f"expected two columns but found {len(fields)}")
        if not CODE_RE.fullmatch(code):
            raise fail(
                path,
                line,
                f"bad CPT code {code!r} (expected 5 digits, or 4 digits followed by F or T)",
            )
        descriptor = " ".join(fields[1].split())
        if not descriptor:
            raise fail(path, line, f"{code} has an empty descriptor")
        if code in seen:
            if seen[code] != descriptor:
                raise fail(path, line, f"{code} appears twice with different descriptors")
            continue
        seen[code] = descriptor
        records.append(
            {
                "code": code,
                "system": SYSTEM,
                "title": descriptor,
                "billable": True,
                "kind": "code",
                "parent": None,
                "sections": {"official_descriptor": descriptor},
            }
        )
    if not records:
        raise fail(path, None, "no CPT codes found")
    return records, {"codes": len(records)}, None


def parse_release(path: Path, ticker: Ticker, previous: Callable[[], Layer | None]) -> ParsedRelease:
    """The :class:`~codelookup.importers._common.Importer` entry point."""
    records, counts, release = parse(path, ticker)
    return ParsedRelease(
        records, counts, release, "Descriptors are shown as the official_descriptor section of each code."
    )
