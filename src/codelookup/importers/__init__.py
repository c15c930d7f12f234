"""``codelookup import KIND FILE``: turn an official release file into a user layer.

Every importer parses and validates the whole file before anything is written, so a bad file
raises :class:`~codelookup.errors.ImportFileError` (``<file>:<line>: <reason>``) and leaves the
previous layer byte-for-byte as it was. Only then is the layer written, atomically.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

from codelookup.errors import CatalogueError, ImportFileError
from codelookup.importers._common import Importer, ParsedRelease, Ticker, fail, now_utc, sha256_of
from codelookup.layers import layer_kinds, layer_path, read_layer, write_layer
from codelookup.systems import registry


class ImportKind(StrEnum):
    HCPCS = "hcpcs"
    CPT = "cpt"
    ICD10CM = "icd10cm"
    ICD10PCS = "icd10pcs"


@dataclass(frozen=True)
class ImportResult:
    """What the CLI reports after a successful import."""

    kind: ImportKind
    layer_path: Path
    source_file: str
    release: str | None
    record_count: int
    counts: dict[str, int] = field(default_factory=dict)
    notes: str = ""


# An overlay brings only part of a system (CPT: the user's licensed descriptors), so says so.
_OVERLAY_NAME = "{name} (licensed descriptors)"
_IMPORTED_LICENCE = "As distributed by the publisher to the user; not redistributed by us"


def imported_licence(registry_licence: str) -> str:
    """HCPCS and ICD-10 are US government works: an imported release stays US public domain.

    Only data licensed to the user (CPT descriptors) keeps "as distributed to the user".
    """
    if registry_licence.startswith("US public domain"):
        return f"{registry_licence}; imported by the user from the official release file"
    return _IMPORTED_LICENCE


def _validate(path: Path, kind: str, records: list[dict[str, Any]]) -> None:
    """Refuse a layer the loader could not merge: wrong system, duplicates, dangling parents."""
    spec = layer_kinds()[kind]
    codes: set[str] = set()
    for rec in records:
        if rec.get("system") != spec.system or not rec.get("code") or not rec.get("title"):
            raise fail(path, None, f"internal: record {rec.get('code')!r} is incomplete")
        if rec["code"] in codes:
            raise fail(path, None, f"{rec['code']} appears twice")
        codes.add(rec["code"])
    if spec.mode == "replace":
        for rec in records:
            parent = rec.get("parent")
            if parent is not None and parent not in codes:
                raise fail(path, None, f"{rec['code']} refers to missing parent {parent}")


def _previous_layer(kind: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The current layer of ``kind`` if it is readable; an unusable one is simply replaced."""
    path = layer_path(kind)
    if not path.is_file():
        return None
    try:
        return read_layer(path)
    except CatalogueError:
        return None


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")  # fmt: skip
STALE_TEMP_SECONDS = 600  # an import writes its temporary file in seconds; older ones are leftovers
MAX_DROP = 0.10  # a release with >10% fewer codes than the one in use is refused without --force


def release_key(text: str | None) -> tuple[int, int] | None:
    """A sortable (year, month) for release labels: 'FY2026 (...)' (October of the year before),
    'HCPCS Level II, January 2026', '2025 January', '2030'."""
    if not text or text.startswith("not stated"):
        return None
    low = text.lower()
    fiscal = re.search(r"\bfy\s?(\d{4})\b", low)
    if fiscal:
        return int(fiscal.group(1)) - 1, 10
    year = re.search(r"\b(19|20)(\d{2})\b", low)
    if year is None:
        return None
    month = next((i for i, m in enumerate(_MONTHS, 1) if m in low), None)
    # A bare year on a PCS/CM file is its fiscal year, which starts the October before.
    return (int(year.group(0)), month) if month else (int(year.group(0)) - 1, 10)


def _in_use(system: str, kind: str) -> tuple[str | None, int | None]:
    """Release label and code count of ``system`` as the user has it now (layer, else bundled)."""
    previous = _previous_layer(kind)
    info: dict[str, Any] = {}
    if previous is not None:
        info = (previous[0].get("systems") or {}).get(system) or {}
    else:
        try:
            from codelookup.catalogue import catalogue_file, read_header

            info = (read_header(catalogue_file()).get("systems") or {}).get(system) or {}
        except CatalogueError:
            info = {}
    counts = info.get("counts") or {}
    codes = counts.get("codes")
    return info.get("release"), codes if isinstance(codes, int) else None


def check_replacement(system: str, kind: str, release: str | None, codes: int | None, force: bool) -> list[str]:
    """Refuse an older release over a newer one, or one that loses more than 10% of the codes,
    unless ``force``; with ``force`` the same findings come back as warnings."""
    current, current_codes = _in_use(system, kind)
    problems: list[str] = []
    new_key, old_key = release_key(release), release_key(current)
    if new_key and old_key and new_key < old_key:
        problems.append(f"{release} is older than the {system} release in use ({current})")
    if codes is not None and current_codes and codes < (1 - MAX_DROP) * current_codes:
        drop = 1 - codes / current_codes
        problems.append(
            f"it has {codes:,} codes, {drop:.0%} fewer than the {current_codes:,} of the release in use"
            f" ({current}); a partial or wrong file?"
        )
    if problems and not force:
        raise ImportFileError(
            "refusing to import: " + "; ".join(problems), hint="use --force to import it anyway; nothing was changed"
        )
    return problems


def clean_stale_temps(directory: Path | None = None, max_age: float = STALE_TEMP_SECONDS) -> int:
    """Remove temporary layer files an interrupted import left behind (``.<kind>.*.tmp``)."""
    from codelookup.layers import layers_dir

    folder = directory or layers_dir()
    removed = 0
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    if now - entry.stat().st_mtime > max_age:
                        os.unlink(entry.path)
                        removed += 1
    return removed


@contextlib.contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """Turn SIGTERM into SystemExit(143) while importing, so the writer's cleanup runs and no
    temporary file is left behind (the default action would kill the process on the spot)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_import(
    kind: ImportKind,
    path: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
    warn: Callable[[str], None] | None = None,
) -> ImportResult:
    """Parse and validate ``path`` fully, then replace the kind's layer with the result.

    ``progress(done, total)`` is called a few hundred times at most, in units that suit the
    file (lines, rows or bytes); the last call always has ``done == total``. An older release
    than the one in use, or one with more than 10% fewer codes, is refused unless ``force``
    (then ``warn`` hears why). SIGTERM during the import leaves no temporary file.
    """
    with _terminate_cleanly():
        return _run_import(ImportKind(kind), Path(path), progress, force, warn)


def _run_import(
    kind: ImportKind,
    path: Path,
    progress: Callable[[int, int], None] | None,
    force: bool,
    warn: Callable[[str], None] | None,
) -> ImportResult:
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    entry = registry.by_import_kind(kind.value)
    if entry is None or not entry.importer:  # pragma: no cover - ImportKind mirrors the registry
        raise ImportFileError(f"no importer for {kind.value}")
    importer = cast(Importer, importlib.import_module(entry.importer))
    clean_stale_temps()
    ticker = Ticker(progress, total=1)
    parsed = importer.parse_release(path, ticker, lambda: _previous_layer(kind.value))
    records, release, notes, provenance = parsed.records, parsed.release, parsed.notes, parsed.provenance
    counts = parsed.counts
    _validate(path, kind.value, records)
    target = registry.by_import_kind(kind.value)
    if target is not None and target.layer_mode == "replace":  # an overlay (CPT) replaces nothing
        code_count = counts.get("codes")
        for problem in check_replacement(
            target.name, kind.value, release, code_count if isinstance(code_count, int) else None, force
        ):
            if warn is not None:
                warn(f"importing anyway (--force): {problem}")
    ticker.finish()
    # The two counts every catalogue system carries, so `codelookup systems` can show them.
    counts = dict(counts)
    counts.setdefault("records", len(records))
    counts.setdefault("billable", sum(1 for r in records if r.get("billable")))
    imported_at = now_utc()

    system = entry.name
    name = _OVERLAY_NAME.format(name=entry.full_name) if entry.layer_mode == "overlay" else entry.full_name
    info: dict[str, Any] = {
        "name": name,
        "release": release or f"not stated in the file (imported {imported_at[:10]})",
        "source": entry.import_source,
        "source_file": path.name,
        "publisher": entry.publisher,
        "licence": imported_licence(entry.licence),
        "counts": counts,
        "notes": notes,
    }
    info.update({k: v for k, v in provenance.items() if k in info and v})
    info["source_file"] = path.name
    header: dict[str, Any] = {
        "imported_at": imported_at,
        "source_file": path.name,
        "source_sha256": sha256_of(path),
        "systems": {system: info},
    }
    header.update(parsed.header)
    if parsed.pcs_tables:
        header["pcs_tables"] = parsed.pcs_tables
    layer = write_layer(kind.value, header, records)
    return ImportResult(
        kind=kind,
        layer_path=layer,
        source_file=path.name,
        release=release,
        record_count=len(records),
        counts=counts,
        notes=notes,
    )


__all__ = [
    "ImportKind",
    "ImportResult",
    "Importer",
    "ParsedRelease",
    "check_replacement",
    "clean_stale_temps",
    "release_key",
    "run_import",
]
