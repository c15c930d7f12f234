"""Output formats: one renderer per format, serving every command (search, show, browse, ...).

A command describes *what* to print through one interface: :meth:`Renderer.listing` for a
result set (search results, children, systems, sections), :meth:`Renderer.page` for a code's
detail page, :meth:`Renderer.entry_error` for a batch entry that failed; the renderer decides
*how*. :func:`renderer_for` picks the class from :class:`OutputFormat` with an exhaustive
``match`` (mypy proves every format is handled); ``auto`` means a Rich table on a terminal and
tab-separated plain text in a pipe. Renderers are context managers: the pager, when asked for,
is entered and always left through one ``contextlib.ExitStack``.

JSON documents always carry ``schema_version`` and ``catalogue_release`` and are valid even when
there are no rows. Rich is imported only by the table renderer, so scripts never pay for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from enum import StrEnum

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - typing is for the checker only (import cost)
    from typing import Any, NoReturn, TextIO, assert_never

    from rich.console import Console

    from .models import CodeDetail
else:

    def assert_never(value: object) -> NoReturn:  # typing's, without importing typing
        raise AssertionError(f"unhandled output format: {value!r}")


OUTPUT_SCHEMA_VERSION = 1

Column = tuple[str, str]  # (key, heading)
SEARCH_COLUMNS: tuple[Column, ...] = (
    ("code", "Code"),
    ("system", "System"),
    ("title", "Title"),
    ("billable", "Billable"),
)
SEARCH_MORE: tuple[Column, ...] = (("score", "Score"), ("match", "Match"))  # CSV carries every field


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


def _document(obj: Any) -> str:
    import json

    return json.dumps(obj, ensure_ascii=False, indent=2) + "\n"


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


class Renderer:
    """Base of every format. ``batch``: one listing per input line (``search -``).

    ``envelope`` heads every JSON document and JSON Lines record; ``columns`` are the fields a
    listing shows, ``more`` the extra ones formats that carry every field add (CSV);
    ``table_view`` draws a listing's rows for people instead of the default table (systems: one
    panel per system); ``pager`` sends pages through the user's pager.
    """

    def __init__(
        self,
        out: TextIO,
        envelope: dict[str, Any],
        columns: Sequence[Column] = SEARCH_COLUMNS,
        *,
        more: Sequence[Column] = (),
        batch: bool = False,
        pager: bool = False,
        width: int = 100,
        table_view: Callable[[list[dict[str, Any]], Console], None] | None = None,
    ) -> None:
        self.out = out
        self.envelope = envelope
        self.columns = tuple(columns)
        self.more = tuple(more)
        self.batch = batch
        self.pager = pager
        self.width = width
        self.table_view = table_view
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, kind: object, value: object, tb: object) -> None:
        """Finish the document after success; leave the pager (if entered) in every case."""
        with self._stack:
            if kind is None:
                self.finish()

    def listing(
        self,
        rows: list[dict[str, Any]],
        *,
        query: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        error: dict[str, Any] | None = None,
        total: int | None = None,
    ) -> None:
        """One result set: ``query`` is data (JSON), ``title`` a caption (tables); ``total`` the
        number of results before the limit (JSON and JSON Lines carry it; people are told on
        stderr by the command)."""
        raise NotImplementedError

    def page(self, detail: CodeDetail, doc: dict[str, Any], only: list[str] | None, query: str) -> None:
        """A code's detail page; ``doc`` is its JSON record (sections already selected)."""
        raise NotImplementedError

    def entry_error(self, query: str, error: dict[str, Any]) -> None:
        """A batch entry (or one of several codes) that found nothing; the command reports it on stderr."""

    def finish(self) -> None:
        self.out.flush()


class PlainRenderer(Renderer):
    """Tab-separated rows without a header, and pages as wrapped text: for cut, sort and grep.

    With ``pager`` (a terminal whose pager cannot show colour) the pages are collected and
    handed to the pager at the end.
    """

    _pages = 0
    _paged: list[str] | None = None

    def listing(
        self,
        rows: list[dict[str, Any]],
        *,
        query: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        error: dict[str, Any] | None = None,
        total: int | None = None,
    ) -> None:
        prefix = [_cell(query)] if self.batch else []
        for row in rows:
            self.out.write("\t".join(prefix + [_cell(row.get(k)) for k, _ in self.columns]) + "\n")
        if self.batch:
            self.out.flush()

    def page(self, detail: CodeDetail, doc: dict[str, Any], only: list[str] | None, query: str) -> None:
        from .page import plain_page

        text = ("\n" if self._pages else "") + plain_page(detail, only, self.width)
        self._pages += 1
        if self.pager:
            self._paged = [*(self._paged or []), text]
            return
        self.out.write(text)
        self.out.flush()

    def finish(self) -> None:
        if self._paged:
            import pydoc

            pydoc.pager("".join(self._paged))
        super().finish()


class CsvRenderer(Renderer):
    """CSV with a header row (``query`` first in a batch); every field, including ``more``."""

    _writer: Any = None

    def _csv(self) -> Any:
        if self._writer is None:
            import csv

            self._writer = csv.writer(self.out, lineterminator="\n")
            self._writer.writerow((["query"] if self.batch else []) + [k for k, _ in self.columns + self.more])
        return self._writer

    def __enter__(self) -> Renderer:
        self._csv()  # the header row even when there are no rows
        return self

    def listing(
        self,
        rows: list[dict[str, Any]],
        *,
        query: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        error: dict[str, Any] | None = None,
        total: int | None = None,
    ) -> None:
        writer = self._csv()
        prefix = [query or ""] if self.batch else []
        for row in rows:
            writer.writerow(prefix + [_csv_cell(row.get(k)) for k, _ in self.columns + self.more])

    def page(self, detail: CodeDetail, doc: dict[str, Any], only: list[str] | None, query: str) -> None:
        raise AssertionError("pages have no CSV form")  # commands refuse --csv for show first


class JsonRenderer(Renderer):
    """One document: a listing's fields, a batch's ``queries`` list, or ``records``/``not_found``."""

    def __init__(self, out: TextIO, envelope: dict[str, Any], columns: Sequence[Column] = SEARCH_COLUMNS,
                 **options: Any) -> None:  # fmt: skip
        super().__init__(out, envelope, columns, **options)
        self.items: list[dict[str, Any]] = []
        self.records: list[dict[str, Any]] | None = None
        self.not_found: list[dict[str, Any]] = []

    def listing(
        self,
        rows: list[dict[str, Any]],
        *,
        query: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        error: dict[str, Any] | None = None,
        total: int | None = None,
    ) -> None:
        item: dict[str, Any] = {}
        if query is not None:
            item["query"] = query
        item["count"] = len(rows)
        item["results"] = rows
        if total is not None:
            item["total"] = total
        if not self.batch and query is not None:
            item["notes"] = list(notes)
        if error:
            item.update(error)
        self.items.append(item)

    def page(self, detail: CodeDetail, doc: dict[str, Any], only: list[str] | None, query: str) -> None:
        if self.records is None:
            self.records = []
        self.records.append({"query": query, **doc})

    def entry_error(self, query: str, error: dict[str, Any]) -> None:
        if self.records is None:
            self.records = []
        self.not_found.append({"query": query, **error})

    def finish(self) -> None:
        doc = dict(self.envelope)
        if self.records is not None:
            doc.update({"count": len(self.records), "records": self.records, "not_found": self.not_found})
        elif self.batch:
            doc["queries"] = self.items
        elif self.items:
            doc.update(self.items[0])
        else:
            doc.update({"count": 0, "results": []})
        self.out.write(_document(doc))
        self.out.flush()


class JsonlRenderer(Renderer):
    """One line per query, page or batch error (flushed as it goes); a plain listing: one line per row."""

    def _line(self, obj: dict[str, Any]) -> None:
        self.out.write(dumps(obj) + "\n")
        self.out.flush()

    def listing(
        self,
        rows: list[dict[str, Any]],
        *,
        query: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        error: dict[str, Any] | None = None,
        total: int | None = None,
    ) -> None:
        if self.batch or query is not None:
            extra = {"total": total} if total is not None else {}
            self._line({**self.envelope, "query": query, "results": rows, **extra, **(error or {})})
        else:
            for row in rows:
                self.out.write(dumps(row) + "\n")
            self.out.flush()

    def page(self, detail: CodeDetail, doc: dict[str, Any], only: list[str] | None, query: str) -> None:
        self._line({**self.envelope, "query": query, **doc})

    def entry_error(self, query: str, error: dict[str, Any]) -> None:
        self._line({**self.envelope, "query": query, **error})


class TableRenderer(Renderer):
    """Rich tables and panels for people; every cell is a Text object, never parsed as markup."""

    _console: Console | None = None

    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self.out, highlight=False)
            if self.pager:
                self._stack.enter_context(self._console.pager(styles=True))
        return self._console

    def listing(
        self,
        rows: list[dict[str, Any]],
        *,
        query: str | None = None,
        title: str | None = None,
        notes: Sequence[str] = (),
        error: dict[str, Any] | None = None,
        total: int | None = None,
    ) -> None:
        if error and not rows and not self.batch:
            return  # one search that found nothing: the error on stderr says it all
        setup = self._rich_free()
        if self.table_view is not None:
            from .page import rich_systems, systems_panel

            if setup is not None and self.table_view is rich_systems:
                from .richtable import label_panels

                text = label_panels([systems_panel(r) for r in rows], *setup)
                if text is not None:
                    self.out.write(text)
                    return
            self.table_view(rows, self.console())
            return
        caption = title if title is not None else query
        if setup is not None:  # the same table without importing Rich (byte for byte; None when unsure)
            from . import richtable

            cols = [
                richtable.Col(
                    heading,
                    style=richtable.BOLD_CYAN if key == "code" else "",
                    no_wrap=key in ("code", "system", "billable"),
                    fold=key == "title",
                )
                for key, heading in self.columns
            ]
            cells = [[_cell(row.get(k)) for k, _ in self.columns] for row in rows]
            text = richtable.render(caption or None, cols, cells, *setup)
            if text is not None:
                self.out.write(text)
                return
        self.listing_with_rich(rows, caption)

    def _rich_free(self) -> tuple[int, bool] | None:
        """Width and styling for drawing without Rich (:mod:`codelookup.richtable`), or None (pager, odd settings)."""
        if self.pager:
            return None
        from .richtable import console_setup

        return console_setup(self.out)

    def listing_with_rich(self, rows: list[dict[str, Any]], caption: str | None) -> None:
        """The Rich original of the default listing table (tests compare the Rich-free one with it)."""
        from rich.table import Table
        from rich.text import Text

        table = Table(title=Text(caption) if caption else None, title_justify="left", expand=False)
        for key, heading in self.columns:
            if key == "title":
                table.add_column(heading, ratio=1, overflow="fold")
            elif key == "code":
                table.add_column(heading, style="bold cyan", no_wrap=True)
            else:
                table.add_column(heading, no_wrap=key in ("system", "billable"))
        for row in rows:
            table.add_row(*[Text(_cell(row.get(k))) for k, _ in self.columns])
        self.console().print(table)

    def page(self, detail: CodeDetail, doc: dict[str, Any], only: list[str] | None, query: str) -> None:
        setup = self._rich_free()
        if setup is not None:
            from .richpage import render

            text = render(detail, only, *setup)
            if text is not None:
                self.out.write(text)
                self.out.flush()
                return
        from .page import rich_page

        rich_page(detail, only, self.console())


def resolve_format(fmt: OutputFormat, is_tty: bool) -> OutputFormat:
    if fmt is OutputFormat.AUTO:
        return OutputFormat.TABLE if is_tty else OutputFormat.PLAIN
    return fmt


def renderer_for(fmt: OutputFormat) -> type[Renderer]:
    """The renderer class of a concrete format (``auto`` is resolved first)."""
    match fmt:
        case OutputFormat.TABLE:
            return TableRenderer
        case OutputFormat.PLAIN:
            return PlainRenderer
        case OutputFormat.JSON:
            return JsonRenderer
        case OutputFormat.JSONL:
            return JsonlRenderer
        case OutputFormat.CSV:
            return CsvRenderer
        case OutputFormat.AUTO:
            raise ValueError("resolve 'auto' first (resolve_format)")
        case _:
            assert_never(fmt)


def open_renderer(fmt: OutputFormat, out: TextIO, envelope: dict[str, Any], columns: Sequence[Column] = SEARCH_COLUMNS,
                  **options: Any) -> Renderer:  # fmt: skip
    """A renderer for ``fmt`` on ``out`` (``auto``: a table on a terminal, plain text in a pipe).

    Pages for a pager that cannot show colour (see :func:`codelookup.page.pager_styles`) are
    rendered as plain text.
    """
    chosen = resolve_format(fmt, out.isatty())
    if chosen is OutputFormat.TABLE and options.get("pager"):
        import os

        from .page import pager_styles

        if not pager_styles(os.environ):
            chosen = OutputFormat.PLAIN
    return renderer_for(chosen)(out, envelope, columns, **options)


RENDERERS: dict[OutputFormat, type[Renderer]] = {f: renderer_for(f) for f in OutputFormat if f is not OutputFormat.AUTO}
