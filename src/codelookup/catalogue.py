"""Finding, validating and streaming the catalogue file and the user's imported layers.

The catalogue is written one JSON value per line (see "The catalogue file" in
``docs/architecture.md``, and ``catalogue.schema.json``) so that the header can be read from the
first line alone, and records can be streamed without holding the parsed file twice in memory
while the search index is built.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from .errors import CatalogueError

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only (import cost)
    from pathlib import Path
    from typing import Any

SCHEMA_VERSION = 1
FORMAT = "codelookup-catalogue"
ENV_CATALOGUE = "CODELOOKUP_CATALOGUE"


def catalogue_file() -> str:
    """The catalogue in use: ``$CODELOOKUP_CATALOGUE``, the copy in the wheel, or the checkout's."""
    env = os.environ.get(ENV_CATALOGUE)
    if env:
        path = os.path.expanduser(env)
        if not os.path.isfile(path):
            raise CatalogueError(f"{path}: catalogue file not found", hint=f"fix or unset {ENV_CATALOGUE}")
        return path
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (
        os.path.join(here, "_data", "codes.json"),
        os.path.join(os.path.dirname(os.path.dirname(here)), "data", "codes.json"),
    ):
        if os.path.isfile(candidate):
            return candidate
    raise CatalogueError(
        "the bundled catalogue codes.json is missing from this installation",
        hint="reinstall codelookup, or set CODELOOKUP_CATALOGUE to a catalogue file",
    )


def catalogue_path() -> Path:
    from pathlib import Path

    return Path(catalogue_file())


def _check_header(header: Any, path: str | Path, expected_format: str = FORMAT) -> dict[str, Any]:
    if not isinstance(header, dict) or header.get("format") != expected_format:
        raise CatalogueError(f"{path}: not a codelookup catalogue (no '{expected_format}' header)")
    version = header.get("schema_version")
    if version != SCHEMA_VERSION:
        raise CatalogueError(
            f"{path}: catalogue schema version {version!r} is not supported; "
            f"this codelookup reads version {SCHEMA_VERSION}",
            hint="upgrade codelookup or rebuild the catalogue",
        )
    systems = header.get("systems")
    if not isinstance(systems, dict) or not all(isinstance(v, dict) for v in systems.values()):
        raise CatalogueError(f"{path}: catalogue header has no 'systems' object of objects")
    return header


def read_first_line(path: str | Path) -> bytes:
    """The raw header line: enough to key the search index without parsing any JSON."""
    try:
        with open(path, "rb") as fh:
            return fh.readline(8 << 20)
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read catalogue ({exc.strerror or exc})") from None


def read_header(path: str | Path) -> dict[str, Any]:
    """Parse and validate only the first line."""
    import json

    try:
        with open(path, "rb") as fh:
            first = fh.readline(8 << 20)
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read catalogue ({exc.strerror or exc})") from None
    text = first.decode("utf-8", "replace").rstrip()
    if not text:
        raise CatalogueError(f"{path}: catalogue file is empty")
    try:
        header = json.loads(text.rstrip(",") + "}") if text.endswith(",") else json.loads(text)
    except json.JSONDecodeError:
        header = _read_whole(path).header
    if isinstance(header, dict) and "records" in header:
        header = {k: v for k, v in header.items() if k not in ("records", "pcs_tables")}
    return _check_header(header, path)


class Loaded:
    """A fully parsed catalogue or layer."""

    def __init__(
        self,
        header: dict[str, Any],
        pcs_tables: dict[str, Any] | None = None,
        records: list[dict[str, Any]] | None = None,
    ) -> None:
        self.header = header
        self.pcs_tables: dict[str, Any] = pcs_tables or {}
        self.records: list[dict[str, Any]] = records or []


def _read_whole(path: str | Path) -> Loaded:
    """Fallback for a catalogue that is valid JSON but not in the line-per-record layout."""
    import json

    try:
        with open(path, "rb") as fh:
            doc = json.load(fh)
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read catalogue ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{path}: catalogue is not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise CatalogueError(f"{path}: catalogue is not a JSON object")
    records = doc.get("records")
    if not isinstance(records, list):
        raise CatalogueError(f"{path}: catalogue has no 'records' list")
    header = {k: v for k, v in doc.items() if k not in ("records", "pcs_tables")}
    pcs_tables = doc.get("pcs_tables") or {}
    if not isinstance(pcs_tables, dict):
        raise CatalogueError(f"{path}: pcs_tables is not an object")
    return Loaded(header, pcs_tables, records)


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "title": (str,),
    "parent": (str, type(None)),
    "kind": (str,),
    "billable": (bool,),
    "sections": (dict,),
    "terms": (list, str),
}


def record_problem(rec: Any) -> str | None:
    """What is wrong with one record, if anything.

    The index builder trusts these types; checking them here turns a hand-edited or damaged
    catalogue into a one-line error naming the line instead of an internal error mid-build.
    """
    if not isinstance(rec, dict) or "code" not in rec or "system" not in rec:
        return "record without 'code' and 'system'"
    for key in ("code", "system"):
        if not isinstance(rec[key], str) or not rec[key]:
            return f"record {key!r} is not a non-empty string"
    for key, types in _FIELD_TYPES.items():
        if key in rec and not isinstance(rec[key], types):
            return f"record {rec['code']!r}: {key!r} has the wrong type ({type(rec[key]).__name__})"
    return None


def _checked(path: str | Path, records: list[Any]) -> Iterator[dict[str, Any]]:
    for n, rec in enumerate(records, 1):
        problem = record_problem(rec)
        if problem:
            raise CatalogueError(f"{path}: record {n}: {problem}")
        yield rec


def iter_lines_document(
    path: str | Path,
) -> tuple[dict[str, Any], dict[str, Any], Iterator[dict[str, Any]]]:
    """Stream a line-per-record document: (header, pcs_tables, records iterator).

    The iterator raises :class:`CatalogueError` naming the line when the file is truncated or a
    line is not valid JSON, so a damaged file never yields a silently partial catalogue.
    """
    import json

    try:
        fh = open(path, encoding="utf-8")  # noqa: SIM115 - closed by the record iterator
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read catalogue ({exc.strerror or exc})") from None

    def readline(lineno: int) -> str:
        try:
            return fh.readline()
        except UnicodeDecodeError:
            fh.close()
            raise CatalogueError(f"{path}:{lineno}: catalogue is not UTF-8 text") from None

    first = readline(1).rstrip()
    if not first.endswith(","):
        fh.close()
        whole = _read_whole(path)
        return whole.header, whole.pcs_tables, _checked(path, whole.records)
    try:
        header = json.loads(first[:-1] + "}")
    except json.JSONDecodeError as exc:
        fh.close()
        raise CatalogueError(f"{path}:1: invalid header ({exc.msg})") from None
    pcs_tables: dict[str, Any] = {}
    lineno = 1
    while True:
        line = readline(lineno + 1)
        lineno += 1
        if not line:
            fh.close()
            raise CatalogueError(f"{path}: truncated catalogue (no records list)")
        stripped = line.strip()
        if stripped.startswith('"records":['):
            break
        if stripped.startswith('"pcs_tables":'):
            try:
                pcs_tables = json.loads(stripped[len('"pcs_tables":') :].rstrip(","))
            except json.JSONDecodeError as exc:
                fh.close()
                raise CatalogueError(f"{path}:{lineno}: invalid pcs_tables ({exc.msg})") from None
            if not isinstance(pcs_tables, dict):
                fh.close()
                raise CatalogueError(f"{path}:{lineno}: pcs_tables is not an object")

    def records() -> Iterator[dict[str, Any]]:
        n = lineno
        closed = False
        with fh:
            while True:
                raw = readline(n + 1)
                if not raw:
                    break
                n += 1
                stripped = raw.strip()
                if not stripped:
                    continue
                if stripped == "]}":
                    closed = True
                    break
                try:
                    rec = json.loads(stripped.rstrip(","))
                except json.JSONDecodeError as exc:
                    raise CatalogueError(f"{path}:{n}: invalid record ({exc.msg})") from None
                problem = record_problem(rec)
                if problem:
                    raise CatalogueError(f"{path}:{n}: {problem}")
                yield rec
        if not closed:
            raise CatalogueError(f"{path}: truncated catalogue (ends at line {n} without ']}}')")

    return header, pcs_tables, records()


def open_catalogue(path: str | Path) -> tuple[dict[str, Any], dict[str, Any], Iterator[dict[str, Any]]]:
    """Validated header, PCS axis tables and a record stream of the bundled/pointed catalogue."""
    header, pcs_tables, records = iter_lines_document(path)
    _check_header(header, path)
    return header, pcs_tables, records
