"""What each command does, independent of how its arguments were parsed.

Both the Typer application and the dependency-free fast path call these functions, so
behaviour, output and exit codes cannot drift between them. Each returns the exit code and
raises :class:`~codelookup.errors.CodelookupError` for failures that end the command.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from .api import Library
from .errors import (
    ENTRY_ERRORS,
    CodelookupError,
    ConflictingOptionsError,
    EmptyInputError,
    ExitCode,
    InputTooLongError,
    NotFoundError,
    UsageError,
)
from .formats import OUTPUT_SCHEMA_VERSION, SEARCH_MORE, OutputFormat, dumps, open_renderer, resolve_format
from .models import Frozen
from .sections import SECTIONS
from .text import clean_text

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only (import cost)
    from pathlib import Path
    from typing import Any, TextIO


class SearchOptions(Frozen):
    """A parsed ``search`` request (from Typer or the fast path)."""

    __slots__ = ("all_results", "billable", "fmt", "limit", "query", "systems")
    query: str
    systems: tuple[str, ...]
    billable: bool
    limit: int
    fmt: OutputFormat
    all_results: bool  # --all: every result, whatever the limit

    def __init__(
        self,
        query: str,
        systems: tuple[str, ...] = (),
        billable: bool = False,
        limit: int = 10,
        fmt: OutputFormat = OutputFormat.AUTO,
        all_results: bool = False,
    ) -> None:
        self._init(query=query, systems=systems, billable=billable, limit=limit, fmt=fmt, all_results=all_results)

    @property
    def effective_limit(self) -> int | None:
        """None (everything) under ``--all``, else ``--limit``."""
        return None if self.all_results else self.limit


class ShowOptions(Frozen):
    """A parsed ``show`` request."""

    __slots__ = ("codes", "fmt", "pager", "sections", "systems")
    codes: tuple[str, ...]
    systems: tuple[str, ...]
    sections: tuple[str, ...]
    fmt: OutputFormat
    pager: bool

    def __init__(
        self,
        codes: tuple[str, ...],
        systems: tuple[str, ...] = (),
        sections: tuple[str, ...] = (),
        fmt: OutputFormat = OutputFormat.AUTO,
        pager: bool = False,
    ) -> None:
        self._init(codes=codes, systems=systems, sections=sections, fmt=fmt, pager=pager)


class Streams:
    """Where a command reads and writes; tests pass their own."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None, inp: TextIO | None = None) -> None:
        self.out: TextIO = out if out is not None else sys.stdout
        self.err: TextIO = err if err is not None else sys.stderr
        self.inp: TextIO = inp if inp is not None else sys.stdin


def envelope(lib: Library) -> dict[str, Any]:
    return {
        "schema_version": OUTPUT_SCHEMA_VERSION,
        "catalogue_release": lib.meta("catalogue_release"),
    }


def note(streams: Streams, message: str) -> None:
    streams.err.write(f"note: {message}\n")


def stdin_lines(streams: Streams) -> Iterator[str]:
    """Non-empty input lines, streamed (bounded memory), undecodable bytes replaced.

    Each line is cleaned of control characters and terminal escape sequences here, once: batch
    output echoes the query (plain, CSV and table rows start with it), so a raw line would
    reach the user's terminal as an escape sequence, and a line that is nothing but control
    characters would otherwise end a ``show -`` batch with "empty code" instead of being skipped.
    """
    inp = streams.inp
    reconfigure = getattr(inp, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, OSError):  # an already-consumed stream
            reconfigure(errors="replace")
    if inp.isatty():
        streams.err.write("Reading one entry per line from standard input; end with Ctrl-D.\n")
    for line in inp:
        text = clean_text(line)
        if text:
            yield text


MAX_INPUT = 1_000  # characters in one query or code; no code is longer than 11


def check_length(text: str, what: str) -> None:
    """Refuse absurdly long input before it reaches the search.

    Typo correction builds every one-letter deletion of each unknown word, so one long
    token (100,000 characters of mixed letters and digits) costs minutes and gigabytes; no
    real query or code comes near this limit, and the search uses only the first 12 words.
    """
    if len(text) > MAX_INPUT:
        raise InputTooLongError(
            f"{what} too long ({len(text):,} characters)",
            hint=f"at most {MAX_INPUT:,}; no code is longer than 11 characters",
        )


def check_format(fmt: OutputFormat, allowed: tuple[OutputFormat, ...], command: str) -> None:
    if fmt not in allowed:
        names = ", ".join(
            "--" + f.value for f in allowed if f not in (OutputFormat.AUTO, OutputFormat.TABLE, OutputFormat.PLAIN)
        )
        raise UsageError(f"{command} does not support --{fmt.value}", hint=f"use one of {names}")


# -- search -------------------------------------------------------------------------------
def run_search(opts: SearchOptions, lib: Library, streams: Streams) -> int:
    if opts.limit < 1 or opts.limit > 10_000:
        raise UsageError(f"--limit must be between 1 and 10,000, not {opts.limit}")
    if opts.query.strip() == "-":
        return _search_batch(opts, lib, streams)
    if not opts.query.strip():
        raise EmptyInputError("empty query", hint="give words or a code, e.g. codelookup search epidural")
    if len(opts.query) > MAX_INPUT:
        raise InputTooLongError(
            f"query too long ({len(opts.query):,} characters)", hint=f"at most {MAX_INPUT:,}; only 12 words are used"
        )
    result = lib.search(
        opts.query, systems=opts.systems or None, billable_only=opts.billable, limit=opts.effective_limit
    )
    for message in result.notes:
        note(streams, message)
    failure = lib.not_found(result) if not result.hits else None
    with open_renderer(opts.fmt, streams.out, envelope(lib), more=SEARCH_MORE) as out:
        out.listing(
            [h.as_dict() for h in result.hits],
            query=result.query,
            notes=result.notes,
            total=result.total,
            error=_error_fields(failure) if failure is not None else None,
        )
    if failure is not None:
        streams.err.write(f"codelookup: {failure}\n")
        return ExitCode.NOT_FOUND
    fmt = resolve_format(opts.fmt, streams.out.isatty())
    if result.total > len(result.hits) and fmt is not OutputFormat.JSON and _for_people(streams):
        note(streams, more_results(len(result.hits), result.total, fmt))
    return ExitCode.OK


def _for_people(streams: Streams) -> bool:
    """Whether stderr reaches a person: the "cut at the limit" notes are for people; scripts
    read ``total`` from JSON or JSON Lines, and stay quiet (``... | head -1`` included)."""
    isatty = getattr(streams.err, "isatty", None)
    return bool(isatty and isatty())


def more_results(shown: int, total: int, fmt: OutputFormat) -> str:
    """The stderr line saying results were cut at the limit, and how to get them all."""
    if fmt in (OutputFormat.TABLE, OutputFormat.PLAIN):
        return f"showing {shown:,} of {total:,} \u2014 use --limit N or --all"
    return f"wrote {shown:,} of {total:,} results \u2014 add --all to export every one"


def _error_fields(exc: CodelookupError) -> dict[str, Any]:
    """How a failed entry appears in JSON and JSON Lines output."""
    return {"error": exc.message, "suggestions": list(getattr(exc, "suggestions", ()))}


def _search_batch(opts: SearchOptions, lib: Library, streams: Streams) -> int:
    missing = 0
    cut = 0
    with open_renderer(opts.fmt, streams.out, envelope(lib), more=SEARCH_MORE, batch=True) as out:
        for query in stdin_lines(streams):
            try:
                check_length(query, "query")
                result = lib.search(
                    query, systems=opts.systems or None, billable_only=opts.billable, limit=opts.effective_limit
                )
                if not result.hits:
                    raise lib.not_found(result)
            except ENTRY_ERRORS as exc:  # this query's own problem; anything else ends the batch
                missing += 1
                out.listing([], query=query, error=_error_fields(exc))
                continue
            out.listing([h.as_dict() for h in result.hits], query=query, total=result.total)
            cut += result.total > len(result.hits)
    if cut and _for_people(streams):
        streams.err.write(
            f"note: {cut} quer{'y' if cut == 1 else 'ies'} had more results than --limit {opts.limit}"
            " \u2014 add --all for every result\n"
        )
    if missing:
        streams.err.write(f"codelookup: {missing} quer{'y' if missing == 1 else 'ies'} found nothing\n")
    return ExitCode.NOT_FOUND if missing else ExitCode.OK


# -- show ---------------------------------------------------------------------------------
PAGE_FORMATS = (OutputFormat.AUTO, OutputFormat.TABLE, OutputFormat.PLAIN, OutputFormat.JSON, OutputFormat.JSONL)


def run_show(opts: ShowOptions, lib: Library, streams: Streams) -> int:
    check_format(opts.fmt, PAGE_FORMATS, "show")
    from .detail import resolve_sections

    only = resolve_sections(list(opts.sections)) if opts.sections else None
    if not opts.codes:
        raise UsageError("no code given", hint="e.g. codelookup show E11.621")
    batch = opts.codes == ("-",)
    inputs = stdin_lines(streams) if batch else iter(opts.codes)
    by_wording = not batch or (only is not None and "similar_codes" in only)
    missing = 0
    with open_renderer(opts.fmt, streams.out, envelope(lib), pager=opts.pager, width=_plain_width(streams)) as out:
        for code in inputs:
            try:
                check_length(code, "code")
                details = lib.lookup_all(code, systems=opts.systems or None, by_wording=by_wording)
            except ENTRY_ERRORS as exc:
                if not batch and len(opts.codes) == 1 and not isinstance(exc, NotFoundError):
                    raise  # one bad code on the command line is a usage error, as in search
                missing += 1
                out.entry_error(code, _error_fields(exc))
                streams.err.write(f"codelookup: {exc}\n")
                continue
            if len(details) > 1:
                note(
                    streams,
                    f"{clean_text(code)} is a code in {len(details)} systems: "
                    + ", ".join(d.record.system for d in details)
                    + " (use --system to pick one)",
                )
            for d in details:
                if d.record.extra.get("resolution_note"):
                    note(streams, str(d.record.extra["resolution_note"]))
                doc = d.as_dict()
                if only is not None:
                    doc["sections"] = {k: v for k, v in doc["sections"].items() if k in only}
                out.page(d, doc, only, code)
    return ExitCode.NOT_FOUND if missing else ExitCode.OK


def _plain_width(streams: Streams) -> int:
    """Wrap plain pages to the user's terminal when there is one (e.g. piped into head or less)."""
    import os

    env = os.environ.get("COLUMNS", "")
    if env.isdigit():
        return max(40, min(int(env), 200))
    for stream in (streams.out, streams.err):
        try:
            return max(40, min(os.get_terminal_size(stream.fileno()).columns, 200))
        except (OSError, ValueError, AttributeError):
            continue
    return 100


# -- browse, sections, systems ------------------------------------------------------------
def run_browse(target: str | None, all_below: bool, fmt: OutputFormat, lib: Library, streams: Streams) -> int:
    if not (target or "").strip():
        streams.err.write("note: browse a system (e.g. codelookup browse ICD-10-CM) or a code (browse E11)\n")
        return run_systems(fmt, lib, streams)
    check_length(target or "", "code")
    heading, refs = lib.browse(target, all_below=all_below)
    rows = [r.as_dict() for r in refs]
    with open_renderer(fmt, streams.out, {**envelope(lib), "browse": heading}) as out:
        out.listing(rows, title=heading)
    if not rows:
        note(streams, f"nothing below {heading} (it is a complete code)")
    return ExitCode.OK


SECTION_COLUMNS = (("slug", "Section"), ("heading", "Heading"), ("shape", "Shape"))


def run_sections(code: str | None, fmt: OutputFormat, lib: Library | None, streams: Streams) -> int:
    if code:
        assert lib is not None
        check_length(code, "code")
        detail = lib.lookup(code)
        slugs = list(detail.sections)
    else:
        slugs = [s.slug for s in SECTIONS]
    from .page import section_rows

    with open_renderer(fmt, streams.out, {"schema_version": OUTPUT_SCHEMA_VERSION}, SECTION_COLUMNS) as out:
        out.listing(section_rows(slugs))
    return ExitCode.OK


SYSTEM_COLUMNS = (
    ("name", "System"),
    ("release", "Release"),
    ("source", "Source"),
    ("licence", "Licence"),
    ("records", "Records"),
    ("billable", "Billable"),
    ("origin", "Origin"),
)


def run_systems(fmt: OutputFormat, lib: Library, streams: Streams) -> int:
    info = lib.system_info()
    env = {**envelope(lib), "content_sha256": lib.meta("content_sha256")}
    from .page import rich_systems

    with open_renderer(fmt, streams.out, env, SYSTEM_COLUMNS, table_view=rich_systems) as out:
        out.listing([i.as_dict() for i in info.values()])
    from .systems import registry

    for system in registry.ordered():
        if system.name not in info and system.import_kind:
            streams.err.write(
                f"note: {system.full_name} is not bundled; "
                f"load the official release with: codelookup import {system.import_kind} FILE\n"
            )
    return ExitCode.OK


# -- one entry for both parsers -------------------------------------------------------------
def pick_format(values: dict[str, Any]) -> OutputFormat:
    """The output format from --format and the --json/--jsonl/--csv shortcuts; two differing is an error."""
    chosen = [OutputFormat(k) for k in ("json", "jsonl", "csv") if values.get(k)]
    fmt = OutputFormat(str(values.get("format") or "auto"))
    if fmt is not OutputFormat.AUTO:
        chosen.append(fmt)
    if len(set(chosen)) > 1:
        raise ConflictingOptionsError(
            "conflicting output formats: " + ", ".join("--" + f.value for f in dict.fromkeys(chosen)),
            hint="choose one",
        )
    return chosen[0] if chosen else OutputFormat.AUTO


def dispatch(command: str, values: dict[str, Any], streams: Streams | None = None) -> int:
    """Run a parsed command (values as :func:`codelookup.grammar.parse` returns them).

    The Typer application and the fast path both end here, so a command line means the same
    whichever parser read it.
    """
    streams = streams or Streams()
    fmt = pick_format(values)
    systems = tuple(values.get("system") or ())
    if command == "search":
        query = " ".join(values["query"])
        opts = SearchOptions(
            query, systems, bool(values["billable"]), int(values["limit"]), fmt, bool(values.get("all"))
        )
        return run_search(opts, Library(), streams)
    if command == "show":
        show = ShowOptions(tuple(values["codes"]), systems, tuple(values["section"]), fmt, bool(values["pager"]))
        return run_show(show, Library(), streams)
    if command == "browse":
        return run_browse(values["target"], bool(values["all"]), fmt, Library(), streams)
    if command == "sections":
        return run_sections(values["code"], fmt, Library() if values["code"] else None, streams)
    if command == "systems":
        return run_systems(fmt, Library(), streams)
    if command in ("index", "neoplasm", "drug"):  # the coders' indexes (issue 14): index_commands.py
        from .index_commands import run_index, run_table

        term = " ".join(values["term"])
        if command == "index":
            return run_index(term, systems[-1] if systems else "cm", fmt, Library(), streams)
        return run_table(command, term, fmt, Library(), streams)
    raise AssertionError(f"no such command: {command}")  # pragma: no cover - the grammar lists them


# -- import -------------------------------------------------------------------------------
def run_import_command(
    kind: str | None,
    file: Path | None,
    list_: bool,
    remove: str | None,
    fmt: OutputFormat,
    streams: Streams,
    force: bool = False,
) -> int:
    from .layers import layer_kinds, list_layers, remove_layer

    kinds = ", ".join([*layer_kinds(), "icd10cm-index"])
    if sum(bool(x) for x in (list_, remove, kind or file)) != 1:
        raise UsageError("give KIND FILE, --list or --remove KIND", hint="see 'codelookup import --help'")
    if "icd10cm-index" in (kind, remove):  # the official Alphabetic Index (issue 14): index_import.py
        return _import_cm_index(file, bool(remove), fmt, streams)
    if list_:
        rows = [
            {
                "kind": info.kind,
                "mode": info.mode,
                "imported_at": info.imported_at,
                "source_file": info.source_file,
                "records": info.record_count,
                "path": str(info.path),
                "problem": info.problem or "",
            }
            for info in list_layers()
        ]
        from .index_import import listing

        rows += listing()
        cols = (
            ("kind", "Kind"),
            ("mode", "Mode"),
            ("imported_at", "Imported"),
            ("source_file", "Source file"),
            ("records", "Records"),
            ("path", "Path"),
        )
        with open_renderer(fmt, streams.out, {"schema_version": OUTPUT_SCHEMA_VERSION}, cols) as out:
            out.listing(rows)
        if not rows:
            streams.err.write("codelookup: no imported layers\n")
        return ExitCode.OK
    if remove:
        if remove not in layer_kinds():
            raise UsageError(f"unknown import kind {remove!r}", hint=f"use one of: {kinds}")
        if not remove_layer(remove):
            raise NotFoundError(f"no {remove} layer to remove")
        streams.err.write(f"codelookup: removed the {remove} layer; the bundled data is used again\n")
        return ExitCode.OK
    if kind not in layer_kinds():
        raise UsageError(f"unknown import kind {kind!r}", hint=f"use one of: {kinds}")
    if file is None:
        raise UsageError("no file given", hint=f"codelookup import {kind} FILE")
    from .importers import ImportKind, run_import

    def warn(message: str) -> None:
        streams.err.write(f"codelookup: warning: {message}\n")

    result = _import_with_progress(
        lambda cb: run_import(ImportKind(kind), file, progress=cb, force=force, warn=warn), streams
    )
    summary = {
        "kind": result.kind.value,
        "layer": str(result.layer_path),
        "source_file": result.source_file,
        "release": result.release,
        "records": result.record_count,
        "counts": result.counts,
    }
    if fmt is OutputFormat.JSON:
        streams.out.write(dumps({"schema_version": OUTPUT_SCHEMA_VERSION, **summary}) + "\n")
    counts = ", ".join(f"{k} {v:,}" for k, v in result.counts.items())
    streams.err.write(
        f"codelookup: imported {result.record_count:,} records from {result.source_file}"
        f"{' (' + counts + ')' if counts else ''} into {result.layer_path}\n"
    )
    return ExitCode.OK


def _import_cm_index(file: Path | None, remove: bool, fmt: OutputFormat, streams: Streams) -> int:
    from . import index_import

    if remove:
        if not index_import.remove():
            raise NotFoundError("no icd10cm-index import to remove")
        streams.err.write("codelookup: removed the imported index; the bundled derived FY2025 index is used again\n")
        return ExitCode.OK
    if file is None:
        raise UsageError("no file given", hint="codelookup import icd10cm-index icd10cm-index-2026.xml")
    summary = index_import.run(file)
    if fmt is OutputFormat.JSON:
        streams.out.write(dumps({"schema_version": OUTPUT_SCHEMA_VERSION, **summary}) + "\n")
    streams.err.write(
        f"codelookup: imported {summary['records']:,} index entries from {summary['source_file']}"
        f" ({summary['release']}) into {summary['layer']}; they replace the derived FY2025 index\n"
    )
    return ExitCode.OK


def _import_with_progress(job: Any, streams: Streams) -> Any:
    """Run an import with a Rich progress bar on stderr when it is a terminal."""
    if not streams.err.isatty():
        return job(None)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=Console(file=streams.err),
        transient=True,
    ) as bar:
        task = bar.add_task("importing", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return job(update)


__all__ = [
    "CodelookupError",
    "SearchOptions",
    "ShowOptions",
    "Streams",
    "run_browse",
    "run_search",
    "run_sections",
    "run_show",
    "run_systems",
]
