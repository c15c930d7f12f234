"""The analysts' commands: ``validate`` (stream millions of codes) and ``export`` (the catalogue).

``validate`` reads standard input in chunks, so memory stays flat whatever the input size, and
writes JSON Lines or CSV as it goes, with a summary on stderr. ``export`` writes the whole
catalogue (bundled plus imported layers, exactly what search and show see) for joins in DuckDB,
Spark or a warehouse; files are written to a temporary name and renamed into place.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from .errors import CatalogueError, UsageError
from .validation import FIELDS, Validation, code_table, validate_columns

CHUNK = 50_000

#: ICD-10-CM note sections exported as list-of-string columns (their JSON names).
NOTE_COLUMNS: tuple[str, ...] = (
    "includes", "inclusion_terms", "excludes1", "excludes2", "code_first", "use_additional_code", "code_also", "notes",
)  # fmt: skip

#: The export's columns in order, with their Parquet types (documented in docs/export.md).
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "string"),
    ("system", "string"),
    ("title", "string"),
    ("billable", "bool"),
    ("kind", "string"),
    ("parent", "string"),
    ("depth", "int32"),
    ("status", "string"),
    ("status_date", "string"),
    *((name, "list<string>") for name in NOTE_COLUMNS),
    ("gem_equivalents", "list<string>"),
    ("seventh_characters", "string (JSON object)"),
    ("extra", "string (JSON object)"),
)

EXPORT_FORMATS = ("csv", "jsonl", "parquet", "sqlite")


# -- validate ---------------------------------------------------------------------------------
def _column_index(spec: str, header: list[str]) -> int:
    if spec.isdigit() and int(spec) >= 1:
        return int(spec) - 1
    if spec in header:
        return header.index(spec)
    raise UsageError(f"no column {spec!r}", hint="give a 1-based number or a header name: " + ", ".join(header[:12]))


def read_codes(inp: TextIO, column: str | None) -> Iterator[list[str]]:
    """Chunks of codes: one per line, or column ``column`` (number or header name) of CSV/TSV."""
    if column is None:
        chunk: list[str] = []
        for line in inp:
            code = line.strip()
            if code:
                chunk.append(code)
                if len(chunk) >= CHUNK:
                    yield chunk
                    chunk = []
        if chunk:
            yield chunk
        return
    first = inp.readline()
    if not first:
        return
    delimiter = "\t" if "\t" in first else ","
    rows = csv.reader(_chain(first, inp), delimiter=delimiter)
    header = next(rows)
    at = _column_index(column, header)
    chunk = [] if not column.isdigit() else ([header[at].strip()] if at < len(header) else [])
    for row in rows:
        if at < len(row):
            value = row[at].strip()
            if value:
                chunk.append(value)
                if len(chunk) >= CHUNK:
                    yield chunk
                    chunk = []
    if chunk:
        yield chunk


def _chain(first: str, rest: TextIO) -> Iterator[str]:
    yield first
    yield from rest


class _Totals:
    def __init__(self) -> None:
        self.n = self.valid = self.billable = 0
        self.by_reason: dict[str, int] = {}

    def add(self, part: Validation) -> None:
        s = part.summary()
        self.n += s["n"]
        self.valid += s["valid"]
        self.billable += s["billable"]
        for reason, count in s["invalid_by_reason"].items():
            self.by_reason[reason] = self.by_reason.get(reason, 0) + count

    def line(self) -> str:
        invalid = self.n - self.valid
        reasons = ", ".join(f"{r} {c:,}" for r, c in sorted(self.by_reason.items(), key=lambda x: -x[1]))
        return (
            f"codelookup: {self.n:,} codes: {self.valid:,} valid, {self.billable:,} billable, {invalid:,} invalid"
            + (f" ({reasons})" if reasons else "")
        )


def run_validate(
    inp: TextIO,
    out: TextIO,
    err: TextIO,
    *,
    column: str | None = None,
    system: str | None = None,
    fields: Sequence[str] = FIELDS,
    fmt: str = "jsonl",
    strict: bool = False,
) -> int:
    """Stream validation results; returns 1 with ``strict`` when any code is invalid, else 0."""
    if fmt not in ("jsonl", "csv"):
        raise UsageError(f"validate writes jsonl or csv, not {fmt}")
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise UsageError(f"unknown field {unknown[0]!r}", hint="use: " + ", ".join(FIELDS))
    table = code_table()
    if system is not None:
        table._system_map(system)  # an unknown system is a usage error before any output
    totals = _Totals()
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(fields)
    progress = _Progress(err) if err.isatty() else None
    try:
        for chunk in read_codes(inp, column):
            wanted = tuple(dict.fromkeys(("valid", "billable", "reason", *fields)))
            part = validate_columns(chunk, system, wanted, table)
            totals.add(part)
            cols = [part.columns[f] for f in fields]
            if writer is not None:
                writer.writerows(_csv_values(row) for row in zip(*cols, strict=True))
            else:
                dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
                out.write("".join(dumps(dict(zip(fields, row, strict=True))) + "\n" for row in zip(*cols, strict=True)))
            out.flush()
            if progress is not None:
                progress.update(totals.n)
    finally:
        if progress is not None:
            progress.close()
    err.write(totals.line() + "\n")
    return 1 if strict and totals.valid < totals.n else 0


def _csv_values(row: tuple[Any, ...]) -> list[Any]:
    # Booleans as true/false in every format (the JSON spelling), None as an empty cell.
    return ["true" if v is True else "false" if v is False else "" if v is None else v for v in row]


class _Progress:
    """A one-line counter on a terminal's stderr (rich is imported only when one is attached)."""

    def __init__(self, err: TextIO) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                             console=Console(file=err), transient=True)  # fmt: skip
        self._task = self._bar.add_task("validated 0 codes", total=None)
        self._bar.start()

    def update(self, n: int) -> None:
        self._bar.update(self._task, description=f"validated {n:,} codes")

    def close(self) -> None:
        self._bar.stop()


# -- export -----------------------------------------------------------------------------------
def export_rows(con: sqlite3.Connection, systems: Sequence[str] = ()) -> Iterator[dict[str, Any]]:
    """Every record of the current catalogue as one flat dict per row (EXPORT_COLUMNS)."""
    sql = "SELECT code, system, title, billable, kind, parent, depth, data FROM rec"
    args: list[str] = []
    if systems:
        sql += " WHERE system IN (" + ",".join("?" * len(systems)) + ")"
        args = list(systems)
    gems = _GemEquivalents()
    for code, system, title, billable, kind, parent, depth, data in con.execute(sql + " ORDER BY id", args):
        extra: dict[str, Any] = json.loads(data) if data else {}
        sections = extra.pop("sections", {}) or {}
        status = extra.pop("status", None)
        when = extra.pop("termination_date", None) or extra.pop("deleted_in", None)
        row: dict[str, Any] = {
            "code": code,
            "system": system,
            "title": title,
            "billable": bool(billable) and not status,
            "kind": kind,
            "parent": parent,
            "depth": depth,
            "status": status,
            "status_date": when,
        }
        for name in NOTE_COLUMNS:
            value = sections.pop(name, None)
            row[name] = [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value else [])
        row["gem_equivalents"] = gems.of(system, code, kind, extra)
        seventh = sections.pop("seventh_characters", None)
        row["seventh_characters"] = json.dumps(seventh, ensure_ascii=False) if seventh else None
        if sections:
            extra["sections"] = sections
        row["extra"] = json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None
        yield row


class _GemEquivalents:
    """The other revision's codes in a record's own GEM (ICD-9-CM <-> ICD-10), as ``show`` lists
    them: ICD-9-CM codes read forward, ICD-10 codes backward; "no map" entries are left out."""

    _KINDS = frozenset({"code", "category", "subcategory"})

    def __init__(self) -> None:
        self._resolver: Any = None

    def of(self, system: str, code: str, kind: str, extra: dict[str, Any]) -> list[str]:
        from .crosswalk import ICD10_KIND, OWN_GEM, READINGS

        own = OWN_GEM.get(system)
        gem_kind = ICD10_KIND.get(system) or str(extra.get("icd9_type") or "")
        if own is None or kind not in self._KINDS or (system, gem_kind) not in READINGS:
            return []
        if self._resolver is None:
            from .crosswalk import Crosswalk, Resolver

            cross = Crosswalk()
            cross.preload()
            self._resolver = Resolver(cross, lambda s, c: "")
        block = self._resolver.describe(system, gem_kind, code.replace(".", "")).get(own) or {}
        return list(dict.fromkeys(e["code"] for e in block.get("entries", ()) if not e["no_map"]))


def _resolve(systems: Sequence[str]) -> list[str]:
    if not systems:
        return []
    from .systems import registry

    return list(registry.resolve(list(systems)) or [])


def run_export(fmt: str, output: str | None, systems: Sequence[str], out: TextIO, err: TextIO) -> int:
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {fmt!r}", hint="use one of: " + ", ".join(EXPORT_FORMATS))
    if fmt in ("parquet", "sqlite") and not output:
        raise UsageError(f"--format {fmt} writes a binary file", hint="give --output FILE")
    names = _resolve(systems)
    from .index import connect

    con = connect(progress=True)
    rows = export_rows(con, names)
    if output is None:  # noqa: SIM108 - two different writers read better apart
        count = _write_text(fmt, rows, out)
    else:
        count = _atomic(output, lambda tmp: _write_file(fmt, rows, tmp))
    where = output or "standard output"
    err.write(f"codelookup: exported {count:,} records as {fmt} to {where}\n")
    return 0


def _write_text(fmt: str, rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    count = 0
    if fmt == "jsonl":
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        for row in rows:
            out.write(dumps(row) + "\n")
            count += 1
        return count
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in EXPORT_COLUMNS])
    for row in rows:
        writer.writerow(_csv_cell(row[name]) for name, _ in EXPORT_COLUMNS)
        count += 1
    return count


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False) if value else ""
    return _csv_values((value,))[0]


def _write_file(fmt: str, rows: Iterator[dict[str, Any]], path: str) -> int:
    if fmt in ("csv", "jsonl"):
        with open(path, "w", encoding="utf-8", newline="") as fh:
            return _write_text(fmt, rows, fh)
    if fmt == "sqlite":
        return _write_sqlite(rows, path)
    return _write_parquet(rows, path)


def _write_sqlite(rows: Iterator[dict[str, Any]], path: str) -> int:
    con = sqlite3.connect(path)
    try:
        cols = [name for name, _ in EXPORT_COLUMNS]
        types = {"bool": "INTEGER", "int32": "INTEGER"}
        decl = ", ".join(f"{name} {types.get(kind, 'TEXT')}" for name, kind in EXPORT_COLUMNS)
        con.execute(f"CREATE TABLE codes ({decl}, PRIMARY KEY (system, code))")
        marks = ",".join("?" * len(cols))
        count = 0
        batch: list[list[Any]] = []
        for row in rows:
            batch.append([json.dumps(row[c], ensure_ascii=False) if isinstance(row[c], list) else row[c] for c in cols])
            if len(batch) >= 10_000:
                con.executemany(f"INSERT INTO codes VALUES ({marks})", batch)
                count += len(batch)
                batch = []
        con.executemany(f"INSERT INTO codes VALUES ({marks})", batch)
        count += len(batch)
        con.execute("CREATE INDEX codes_code ON codes(code)")
        con.commit()
        return count
    finally:
        con.close()


def parquet_schema() -> Any:
    import pyarrow as pa

    kinds = {"string": pa.string(), "bool": pa.bool_(), "int32": pa.int32(), "list<string>": pa.list_(pa.string())}
    return pa.schema([(name, kinds.get(kind, pa.string())) for name, kind in EXPORT_COLUMNS])


def _write_parquet(rows: Iterator[dict[str, Any]], path: str) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        # A missing optional package is not a usage error: exit 3, as `group` without drgpy.
        raise CatalogueError(
            "--format parquet needs the pyarrow package, which is not installed",
            hint="pip install 'codelookup[parquet]'",
        ) from None
    schema = parquet_schema()
    count = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 50_000:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
                batch = []
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def _atomic(path: str, write: Any) -> int:
    """Write to a temporary file beside ``path`` and rename it into place; never a partial file."""
    directory = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(directory):
        raise UsageError(f"no such directory: {directory}")
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        count = int(write(tmp))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return count


__all__ = ["EXPORT_COLUMNS", "EXPORT_FORMATS", "export_rows", "read_codes", "run_export", "run_validate"]
