"""``codelookup import icd10cm-index FILE``: the official ICD-10-CM Alphabetic Index, from its XML.

Only a lossy third-party flattening of the FY2025 Alphabetic Index ships with codelookup
(labelled "derived, FY2025"). A user who has CDC's official index XML (``icd10cm-index-YYYY.xml``,
root ``<ICD10CM.index>``, the schema the External Cause Index XML shares) imports it here; it
replaces the derived entries everywhere (search aliases, ``codelookup index``, the detail page).

The whole file is parsed and checked before anything is written; the result goes to a
temporary file in the imports directory that is fsynced and renamed over the previous import,
so a bad file, a full disk or a crash leaves the previous state exactly as it was. The search
index is keyed by the imported file's size and time, so the next command rebuilds it.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import CatalogueError, ImportFileError
from .indexes import imported_file

KIND = "icd10cm-index"
FORMAT = "codelookup-cm-index"


def parse(path: Path) -> dict[str, Any]:
    """The book (name, release, origin, source, entries) of an official index XML."""
    from .build.cm_index import parse_index_xml

    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    try:
        entries, info = parse_index_xml(path)
    except CatalogueError as exc:
        raise ImportFileError(exc.message, hint="the previous import was kept") from None
    if info.get("table"):
        raise ImportFileError(
            f"{path.name}: this is a table (Neoplasm Table or Table of Drugs), not an alphabetic index",
            hint="the previous import was kept",
        )
    with_codes = sum(1 for e in entries if e[3])
    if not with_codes:
        raise ImportFileError(f"{path.name}: no index entry names a code", hint="the previous import was kept")
    title = info.get("title") or "ICD-10-CM Index"
    release = f"FY{info['version']}" if info.get("version", "").isdigit() else (info.get("version") or "not stated")
    return {
        "name": " ".join(title.split()).title().replace("Icd-10-Cm", "ICD-10-CM"),
        "release": release,
        "origin": "official (imported)",
        "source": f"{path.name}, imported by the user",
        "licence": "US public domain (CDC/NCHS), as distributed to the user",
        "notes": f"{len(entries):,} entries, {with_codes:,} with codes; replaces the derived FY2025 index.",
        "heads": [],
        "entries": entries,
    }


def write(book: dict[str, Any], source: Path) -> Path:
    """Write the imported book atomically; readers see the old file or the complete new one."""
    from .importers._common import now_utc, sha256_of

    target = Path(imported_file())
    doc = {
        "format": FORMAT,
        "imported_at": now_utc(),
        "source_file": source.name,
        "source_sha256": sha256_of(source),
        "book": book,
    }
    data = gzip.compress(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), mtime=0)
    tmp = ""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{KIND}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise CatalogueError(
            f"{target}: cannot write the imported index ({exc.strerror or exc})",
            hint="the previous import was kept",
        ) from None
    return target


def run(path: Path) -> dict[str, Any]:
    """Import ``path``; a summary for the CLI."""
    book = parse(path)
    target = write(book, path)
    return {
        "kind": KIND,
        "layer": str(target),
        "source_file": path.name,
        "release": book["release"],
        "records": len(book["entries"]),
        "counts": {"entries": len(book["entries"]), "with_codes": sum(1 for e in book["entries"] if e[3])},
    }


def remove() -> bool:
    try:
        os.unlink(imported_file())
    except FileNotFoundError:
        return False
    return True


def listing() -> list[dict[str, Any]]:
    """The ``import --list`` row for an imported index, if there is one."""
    path = imported_file()
    if not os.path.isfile(path):
        return []
    try:
        with gzip.open(path, "rb") as fh:
            doc = json.loads(fh.read())
        entries = len(doc["book"]["entries"])
        problem = ""
    except (OSError, ValueError, KeyError, EOFError) as exc:
        doc, entries, problem = {}, 0, f"unreadable: {exc}"
    return [
        {
            "kind": KIND,
            "mode": "replace",
            "imported_at": doc.get("imported_at", ""),
            "source_file": doc.get("source_file", ""),
            "records": entries,
            "path": path,
            "problem": problem,
        }
    ]
