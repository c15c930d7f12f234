"""Helpers every importer shares: one error shape, text decoding and throttled progress."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from codelookup.errors import ImportFileError

Progress = Callable[[int, int], None]


def fail(path: Path, line: int | None, reason: str) -> ImportFileError:
    """Build the ``<file>:<line>: <reason>`` error users can jump to in an editor."""
    where = f"{path.name}:{line}" if line is not None else path.name
    return ImportFileError(f"{where}: {reason}", hint="the previous import was kept")


def read_text(path: Path) -> str:
    """Decode a release file; CMS files are ASCII but older ones carry cp1252 punctuation."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(path, None, f"cannot be read ({exc.strerror or exc})") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def sha256_of(path: Path) -> str:
    """Fingerprint the source so ``--list`` can tell two imports of a release apart."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def now_utc() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Ticker:
    """Report progress about 200 times per file, so a callback cannot slow an 80k import."""

    def __init__(self, progress: Progress | None, total: int, step: int | None = None) -> None:
        self._progress = progress
        self.total = max(total, 1)
        self.step = step  # None: a 200th of whatever total the reader sets
        self._last: int | None = None

    def __call__(self, done: int) -> None:
        if self._progress is None:
            return
        step = self.step or max(self.total // 200, 1)
        if self._last is None or done - self._last >= step:
            self._last = done
            self._progress(min(done, self.total), self.total)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress(self.total, self.total)


# The user's current layer of a kind: (header, records), as layers.read_layer returns it.
Layer = tuple[dict[str, Any], list[dict[str, Any]]]


@dataclass
class ParsedRelease:
    """What every importer returns: one shape, whatever the file.

    ``records`` are catalogue records of the importer's system; ``counts`` are shown by
    ``codelookup import``; ``release`` names the release when the file says it; ``pcs_tables``
    (ICD-10-PCS only) are the axis tables; ``provenance`` may fill the layer's system entry
    (name, release, publisher...); ``header`` adds fields to the layer header.
    """

    records: list[dict[str, Any]]
    counts: dict[str, int]
    release: str | None = None
    notes: str = ""
    pcs_tables: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    header: dict[str, Any] = field(default_factory=dict)


class Importer(Protocol):
    """An importer module (``CodeSystem.importer`` names it): parse a whole file, write nothing.

    ``previous()`` reads the user's current layer of the same kind (None if there is none),
    for importers that complete a release from its other file (the PCS order file and tables
    XML); others never call it, so it costs them nothing.
    Failures raise :class:`~codelookup.errors.ImportFileError` via :func:`fail`.
    """

    def parse_release(self, path: Path, ticker: Ticker, previous: Callable[[], Layer | None]) -> ParsedRelease: ...
