"""The user's import layers: one JSON file per import kind, written atomically.

A layer is what ``codelookup import`` leaves behind, and the catalogue loader merges it over
the bundled catalogue. Layers live outside the package (the user's data directory) so that an
upgrade never loses an import and an import never needs write access to site-packages.

File layout (whole file is valid JSON, one record per line, like ``data/codes.json``)::

    {"format":"codelookup-layer","schema_version":1,"kind":...,"mode":...,...,"record_count":N,
    "pcs_tables":{...},
    "records":[
    {record},
    ...
    {record}
    ]}

Line 1 carries every header field except ``pcs_tables``, so :func:`list_layers` can describe a
layer by reading one line instead of parsing megabytes of records.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codelookup import paths
from codelookup.errors import CatalogueError
from codelookup.systems import registry

LAYER_FORMAT = "codelookup-layer"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class KindSpec:
    """How a layer kind combines with the bundled catalogue."""

    mode: str  # "replace": drop every bundled record of `system`; "overlay": merge by code
    system: str


def layer_kinds() -> dict[str, KindSpec]:
    """Every import kind and how it merges, from the registry of code systems.

    Fixed by the registry (not per file) so a hand-edited layer cannot silently change how it
    is merged.
    """
    return {
        s.import_kind: KindSpec(s.layer_mode, s.name) for s in registry.ordered() if s.import_kind
    }


LAYER_KINDS: dict[str, KindSpec] = layer_kinds()  # the built-in kinds, for readers of this module


@dataclass(frozen=True)
class LayerInfo:
    """What ``codelookup import --list`` shows about one layer file."""

    kind: str
    path: Path
    mode: str
    imported_at: str
    source_file: str
    systems: dict[str, Any] = field(default_factory=dict)
    record_count: int = 0
    problem: str | None = None  # set when the file is unreadable; the other fields are blank


def layers_dir() -> Path:
    """Where layers live; ``CODELOOKUP_DATA_DIR`` wins so tests never touch the real home.

    The base comes from :func:`codelookup.paths.data_dir`, the same function the catalogue loader
    uses, so the importer and the loader can never disagree about the folder.
    """
    return Path(paths.layers_dir_str())


def layer_path(kind: str) -> Path:
    """The one file a kind may occupy: a second import of a kind replaces the first."""
    _check_kind(kind)
    return layers_dir() / f"{kind}.json"


def _check_kind(kind: str) -> KindSpec:
    kinds = layer_kinds()
    spec = kinds.get(kind)
    if spec is None:
        known = ", ".join(kinds)
        raise CatalogueError(f"unknown layer kind {kind!r}", hint=f"known kinds: {known}")
    return spec


def _dumps(value: Any) -> str:
    # Same serialisation as the bundled catalogue, so diffs between the two stay readable.
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _header_line(header: dict[str, Any]) -> str:
    """Serialise the header as an object whose closing brace is replaced by a comma."""
    text = _dumps(header)
    return text[:-1] + ","


def write_layer(kind: str, header: dict[str, Any], records: Iterable[dict[str, Any]]) -> Path:
    """Write a layer so that readers see either the old file or the complete new one.

    The file is assembled in a uniquely named temporary file in the same directory (so the
    final ``os.replace`` is an atomic rename on one file system), fsynced, then renamed over
    the old layer. Concurrent writers each use their own temporary file; the last rename wins
    and no reader can ever observe a mixture.
    """
    spec = _check_kind(kind)
    rows = list(records)
    head = dict(header)
    pcs_tables = head.pop("pcs_tables", None) or {}
    head.update(
        format=LAYER_FORMAT,
        schema_version=SCHEMA_VERSION,
        kind=kind,
        mode=spec.mode,
        record_count=len(rows),
    )
    directory = layers_dir()
    target = directory / f"{kind}.json"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{kind}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise CatalogueError(
            f"cannot write imported layers in {directory}: {exc.strerror or exc}",
            hint="check the folder's permissions or set CODELOOKUP_DATA_DIR",
        ) from exc
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would make the layer unreadable to other tools
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(_header_line(head) + "\n")
            out.write(f'"pcs_tables":{_dumps(pcs_tables)},\n')
            out.write('"records":[\n')
            last = len(rows) - 1
            for i, rec in enumerate(rows):
                out.write(_dumps(rec) + (",\n" if i < last else "\n"))
            out.write("]}\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):  # disk full, quota: say so instead of a traceback
            raise CatalogueError(
                f"cannot write imported layer {target}: {exc.strerror or exc}",
                hint="the previous layer was kept",
            ) from exc
        raise
    _fsync_dir(directory)
    return target


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself; best effort, since not every platform opens directories."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _corrupt(path: Path, problem: str) -> CatalogueError:
    return CatalogueError(
        f"imported layer {path} is unusable: {problem}",
        hint=f"re-run the import, or remove it with `codelookup import --remove {path.stem}`",
    )


def _check_header(path: Path, header: Any) -> dict[str, Any]:
    if not isinstance(header, dict):
        raise _corrupt(path, "header is not a JSON object")
    if header.get("format") != LAYER_FORMAT:
        raise _corrupt(path, f"format is {header.get('format')!r}, expected {LAYER_FORMAT!r}")
    version = header.get("schema_version")
    if version != SCHEMA_VERSION:
        raise _corrupt(path, f"schema_version {version!r} is not supported (this version reads 1)")
    kind = header.get("kind")
    spec = layer_kinds().get(kind) if isinstance(kind, str) else None
    if spec is None:
        raise _corrupt(path, f"unknown kind {kind!r}")
    if header.get("mode") != spec.mode:
        raise _corrupt(path, f"mode {header.get('mode')!r} does not match kind {kind!r}")
    return header


def read_layer(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Load and validate a whole layer; the header includes ``pcs_tables`` (possibly empty)."""
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise CatalogueError(f"imported layer {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _corrupt(path, f"cannot be read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise _corrupt(path, f"invalid JSON at line {exc.lineno} ({exc.msg})") from exc
    header = _check_header(path, data)
    records = header.pop("records", None)
    if not isinstance(records, list):
        raise _corrupt(path, "has no records list")
    system = layer_kinds()[header["kind"]].system
    for number, rec in enumerate(records, start=1):
        problem = _record_problem(rec, system)
        if problem:
            raise _corrupt(path, f"record {number}: {problem}")
    count = header.get("record_count")
    if count is not None and count != len(records):
        raise _corrupt(path, f"header promises {count} records but {len(records)} are present")
    if not isinstance(header.get("pcs_tables", {}), dict):
        raise _corrupt(path, "pcs_tables is not an object")
    header.setdefault("pcs_tables", {})
    return header, records


def _record_problem(rec: Any, system: str) -> str | None:
    if not isinstance(rec, dict):
        return "not an object"
    for key in ("code", "title"):
        if not isinstance(rec.get(key), str) or not rec[key]:
            return f"missing {key}"
    if rec.get("system") != system:
        return f"system {rec.get('system')!r} in a {system} layer"
    if "sections" in rec and not isinstance(rec["sections"], dict):
        return "sections is not an object"
    return None


def _read_header_line(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        first = fh.readline().rstrip("\n")
    if not first.endswith(","):
        raise _corrupt(path, "first line is not a layer header")
    try:
        header = json.loads(first[:-1] + "}")
    except json.JSONDecodeError as exc:
        raise _corrupt(path, f"header line is not valid JSON ({exc.msg})") from exc
    return _check_header(path, header)


def list_layers() -> list[LayerInfo]:
    """Describe every layer present, in kind order, without loading their records.

    A corrupt layer is listed with ``problem`` set rather than raising, because listing is how
    the user finds out which layer to remove.
    """
    found: list[LayerInfo] = []
    for kind, spec in layer_kinds().items():
        path = layers_dir() / f"{kind}.json"
        if not path.is_file():
            continue
        try:
            head = _read_header_line(path)
        except (CatalogueError, OSError, UnicodeDecodeError) as exc:
            found.append(LayerInfo(kind, path, spec.mode, "", "", problem=str(exc)))
            continue
        systems = head.get("systems")
        found.append(
            LayerInfo(
                kind=kind,
                path=path,
                mode=spec.mode,
                imported_at=str(head.get("imported_at", "")),
                source_file=str(head.get("source_file", "")),
                systems=systems if isinstance(systems, dict) else {},
                record_count=int(head.get("record_count", 0)),
            )
        )
    return found


def remove_layer(kind: str) -> bool:
    """Delete a kind's layer; False when there was none, so the CLI can say so plainly."""
    path = layer_path(kind)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise CatalogueError(f"cannot remove imported layer {path}: {exc}") from exc
    return True
