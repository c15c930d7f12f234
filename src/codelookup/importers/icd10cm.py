"""A newer official ICD-10-CM tabular XML, parsed by the catalogue build's own parser.

Reusing ``codelookup.build.icd10cm.parse_tabular`` keeps imported records identical in shape
to bundled ones; the import only adds validation and the layer header.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from codelookup.errors import CatalogueError
from codelookup.importers._common import Layer, ParsedRelease, Ticker, fail

SYSTEM = "ICD-10-CM"
ParseTabular = Callable[[Path], tuple[dict[str, Any], list[dict[str, Any]]]]


def _parser(path: Path) -> ParseTabular:
    try:
        module = importlib.import_module("codelookup.build.icd10cm")
    except ImportError:
        module = None
    func = getattr(module, "parse_tabular", None)
    if not callable(func):
        raise fail(path, None, "importing ICD-10-CM releases is not supported in this version yet")
    return cast(ParseTabular, func)


def parse(path: Path, ticker: Ticker) -> tuple[list[dict[str, Any]], dict[str, int], dict[str, Any]]:
    """Returns records, counts and the build parser's provenance for the header."""
    parse_tabular = _parser(path)
    ticker.total = 1
    try:
        provenance, records = parse_tabular(path)
    except CatalogueError as exc:  # the build parser's wording already names file and problem
        raise fail(path, None, f"not a usable ICD-10-CM tabular file ({exc.message})") from exc
    except (ValueError, KeyError, OSError, SyntaxError) as exc:  # ET.ParseError is a SyntaxError
        position = getattr(exc, "position", None)
        line = position[0] if isinstance(position, tuple) else None
        raise fail(path, line, f"not a usable ICD-10-CM tabular file ({exc})") from exc
    ticker(1)
    if not records:
        raise fail(path, None, "no ICD-10-CM codes found")
    codes = sum(1 for r in records if r.get("billable"))
    return records, {"codes": codes, "records": len(records)}, dict(provenance)


def parse_release(path: Path, ticker: Ticker, previous: Callable[[], Layer | None]) -> ParsedRelease:
    """The :class:`~codelookup.importers._common.Importer` entry point."""
    records, counts, provenance = parse(path, ticker)
    return ParsedRelease(records, counts, provenance.get("release"), provenance=provenance)
