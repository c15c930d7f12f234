"""Output formats for every command that prints rows (search, browse, systems).

One small class per format behind one interface, chosen by :class:`OutputFormat`; ``auto``
means a Rich table on a terminal and tab-separated plain text in a pipe. JSON documents always
carry ``schema_version`` and ``catalogue_release`` and are valid even when there are no rows.
Rich is imported only by the table format, so scripts never pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - typing is for the checker only (import cost)
    from typing import Any, TextIO

OUTPUT_SCHEMA_VERSION = 1

Column = tuple[str, str]  # (key, heading)
SEARCH_COLUMNS: tuple[Column, ...] = (
    ("code", "Code"),
    ("system", "System"),
    ("title", "Title"),
    ("billable", "Billable"),
)


class OutputFormat(StrEnum):
    AUTO = "auto"
    TABLE = "table"
    PLAIN = "plain"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"


# Characters that str.splitlines() and some JSON Lines readers treat as line ends.
_LINE_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def dumps(obj: Any) -> str:
    """Compact JSON for one JSON Lines record: UTF-8 text, but never a line break inside."""
    import json

    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in _LINE_BREAKS.items():
        if raw in text:
            text = text.replace(raw, escaped)
    return text


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    return " ".join(str(value).split())


def _csv_cell(value: Any) -> Any:
    """CSV is a data format: booleans as JSON spells them (true/false), not Python's True/False.

    Human formats (table, plain) say yes/no; data formats (JSON, JSON Lines, CSV) true/false.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


class RowWriter:
    """Writes one or more result sets ("batches"): one per query in batch mode."""

    def __init__(self, out: TextIO, envelope: dict[str, Any], columns: Sequence[Column], batch: bool) -> None:
        self.out = out
        self.envelope = envelope
        self.columns = tuple(columns)
        self.batch_mode = batch

    def write(self, query: str | None, rows: list[dict[str, Any]], error: dict[str, Any] | None = None) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        self.out.flush()


class PlainWriter(RowWriter):
    """Tab-separated, no header, no colour: made for cut, sort, awk and grep."""

    def write(self, query: str | None, rows: list[dict[str, Any]], error: dict[str, Any] | None = None) -> None:
        prefix = [_cell(query)] if self.batch_mode else []
        for row in rows:
            self.out.write("\t".join(prefix + [_cell(row.get(k)) for k, _ in self.columns]) + "\n")
        if self.batch_mode:
            self.out.flush()


class CsvWriter(RowWriter):
    def __init__(self, out: TextIO, envelope: dict[str, Any], columns: Sequence[Column], batch: bool) -> None:
        super().__init__(out, envelope, columns, batch)
        import csv

        self.writer = csv.writer(out, lineterminator="\n")
        keys = [k for k, _ in self.columns]
        self.writer.writerow((["query"] if batch else []) + keys)

    def write(self, query: str | None, rows: list[dict[str, Any]], error: dict[str, Any] | None = None) -> None:
        prefix = [query or ""] if self.batch_mode else []
        for row in rows:
            self.writer.writerow(prefix + [_csv_cell(row.get(k)) for k, _ in self.columns])


class JsonWriter(RowWriter):
    """One document; in batch mode it holds a ``queries`` list."""

    def __init__(self, out: TextIO, envelope: dict[str, Any], columns: Sequence[Column], batch: bool) -> None:
        super().__init__(out, envelope, columns, batch)
        self.items: list[dict[str, Any]] = []

    def write(self, query: str | None, rows: list[dict[str, Any]], error: dict[str, Any] | None = None) -> None:
        item: dict[str, Any] = {}
        if query is not None:
            item["query"] = query
        item["count"] = len(rows)
        item["results"] = rows
        if error:
            item.update(error)
        self.items.append(item)

    def finish(self) -> None:
        doc = dict(self.envelope)
        if self.batch_mode:
            doc["queries"] = self.items
        elif self.items:
            doc.update(self.items[0])
        else:
            doc.update({"count": 0, "results": []})
        import json

        self.out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        self.out.flush()


class JsonlWriter(RowWriter):
    """One line per query (batch) or per row (single listing), flushed as it goes."""

    def write(self, query: str | None, rows: list[dict[str, Any]], error: dict[str, Any] | None = None) -> None:
        if self.batch_mode or query is not None:
            item = dict(self.envelope)
            item["query"] = query
            item["results"] = rows
            if error:
                item.update(error)
            self.out.write(dumps(item) + "\n")
        else:
            for row in rows:
                self.out.write(dumps(row) + "\n")
        self.out.flush()


class TableWriter(RowWriter):
    """A Rich table per batch; every cell is a Text object, never parsed as markup."""

    def write(self, query: str | None, rows: list[dict[str, Any]], error: dict[str, Any] | None = None) -> None:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        console = Console(file=self.out, highlight=False)
        table = Table(title=Text(query) if query else None, title_justify="left", expand=False)
        for key, heading in self.columns:
            if key == "title":
                table.add_column(heading, ratio=1, overflow="fold")
            elif key == "code":
                table.add_column(heading, style="bold cyan", no_wrap=True)
            else:
                table.add_column(heading, no_wrap=key in ("system", "billable"))
        for row in rows:
            table.add_row(*[Text(_cell(row.get(k))) for k, _ in self.columns])
        console.print(table)


WRITERS: dict[OutputFormat, type[RowWriter]] = {
    OutputFormat.PLAIN: PlainWriter,
    OutputFormat.TABLE: TableWriter,
    OutputFormat.JSON: JsonWriter,
    OutputFormat.JSONL: JsonlWriter,
    OutputFormat.CSV: CsvWriter,
}


def resolve_format(fmt: OutputFormat, is_tty: bool) -> OutputFormat:
    if fmt is OutputFormat.AUTO:
        return OutputFormat.TABLE if is_tty else OutputFormat.PLAIN
    return fmt


def make_writer(
    fmt: OutputFormat, out: TextIO, envelope: dict[str, Any], columns: Sequence[Column], batch: bool
) -> RowWriter:
    return WRITERS[resolve_format(fmt, out.isatty())](out, envelope, columns, batch)
