"""The Typer application: argument parsing and help only; the work is in :mod:`commands`."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .commands import (
    SearchOptions,
    ShowOptions,
    Streams,
    run_browse,
    run_search,
    run_sections,
    run_show,
    run_systems,
)
from .errors import CodelookupError, UsageError
from .formats import OutputFormat

app = typer.Typer(
    name="codelookup",
    help=(
        "Search every US medical code (ICD-10-CM, ICD-10-PCS, CPT, HCPCS) offline and read what "
        "each one means in plain language.\n\nExample: codelookup search 'heart attack'"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]
JsonlOpt = Annotated[bool, typer.Option("--jsonl", help="JSON Lines: one object per line (batches).")]
CsvOpt = Annotated[bool, typer.Option("--csv", help="CSV with a header row.")]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="Output format; auto = table on a terminal, plain text in a pipe."),
]
SystemOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--system",
        "-s",
        help="Only this code system (repeatable): ICD-10-CM, ICD-10-PCS, CPT, HCPCS.",
    ),
]


def _err(message: str) -> None:
    sys.stderr.write(f"codelookup: {message}\n")
    sys.stderr.flush()


def _pick_format(fmt: OutputFormat, json_: bool = False, jsonl: bool = False, csv_: bool = False) -> OutputFormat:
    chosen = [
        f
        for f, on in (
            (OutputFormat.JSON, json_),
            (OutputFormat.JSONL, jsonl),
            (OutputFormat.CSV, csv_),
        )
        if on
    ]
    if fmt is not OutputFormat.AUTO:
        chosen.append(fmt)
    if len(set(chosen)) > 1:
        raise UsageError(
            "conflicting output formats: " + ", ".join("--" + f.value for f in dict.fromkeys(chosen)),
            hint="choose one",
        )
    return chosen[0] if chosen else OutputFormat.AUTO


def _guard(work: Callable[[], int]) -> None:
    """The one place domain errors become a one-line message and an exit code."""
    try:
        code = work()
    except CodelookupError as exc:
        _err(str(exc))
        raise typer.Exit(code=exc.exit_code) from None
    if code:
        raise typer.Exit(code=code)


def _library() -> object:
    from .api import Library

    return Library()


def _version(value: bool) -> None:
    if value:
        release = ""
        try:
            from .catalogue import catalogue_path, read_header

            header = read_header(catalogue_path())
            release = f", catalogue {header.get('catalogue_release', '?')} (schema {header.get('schema_version')})"
        except CodelookupError as exc:
            release = f", catalogue unavailable: {exc}"
        typer.echo(f"codelookup {__version__}{release}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_version,
            is_eager=True,
            help="Show the version and the catalogue release.",
        ),
    ] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colours (NO_COLOR is honoured too).")] = False,
) -> None:
    """Search every US medical code offline and read what it means in plain language."""
    if no_color:
        os.environ["NO_COLOR"] = "1"


@app.command()
def search(
    query: Annotated[
        list[str],
        typer.Argument(
            help="Words or a code; '-' reads one query per line from stdin.",
            show_default=False,
            metavar="QUERY...",
        ),
    ],
    system: SystemOpt = None,
    billable: Annotated[bool, typer.Option("--billable", help="Only billable codes.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many results (1-10000).")] = 10,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
    csv_: CsvOpt = False,
    fmt: FormatOpt = OutputFormat.AUTO,
) -> None:
    """Search codes by words, lay terms, typos or codes.

    Examples: codelookup search 'diabetic foot ulcer'; codelookup search e119;
    codelookup search 'E11.6*' --json | jq '.results[].code'; printf 'afib\\ncopd\\n' | codelookup search - --jsonl
    """

    def work() -> int:
        from .api import Library

        opts = SearchOptions(
            " ".join(query),
            tuple(system or ()),
            billable,
            limit,
            _pick_format(fmt, json_, jsonl, csv_),
        )
        return run_search(opts, Library(), Streams())

    _guard(work)


@app.command()
def show(
    codes: Annotated[
        list[str],
        typer.Argument(
            help="One or more codes (any case, dots optional); '-' reads codes from stdin.",
            show_default=False,
            metavar="CODE...",
        ),
    ],
    system: SystemOpt = None,
    section: Annotated[
        list[str] | None,
        typer.Option(
            "--section",
            "-S",
            help="Only this section (repeatable): slug, heading or unique prefix; see 'codelookup sections'.",
        ),
    ] = None,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
    pager: Annotated[bool, typer.Option("--pager", help="Page long output through your pager.")] = False,
    fmt: FormatOpt = OutputFormat.AUTO,
) -> None:
    """Show a code's page: official title, notes, structure and plain-language sections.

    Examples: codelookup show 62264; codelookup show E11.621 --section excludes1;
    codelookup show 0SRC0J9 --json | jq .sections.axes; cat codes.txt | codelookup show - --jsonl
    """

    def work() -> int:
        from .api import Library

        opts = ShowOptions(
            tuple(codes),
            tuple(system or ()),
            tuple(section or ()),
            _pick_format(fmt, json_, jsonl),
            pager,
        )
        return run_show(opts, Library(), Streams())

    _guard(work)


@app.command()
def browse(
    target: Annotated[
        str | None,
        typer.Argument(help="A system (ICD-10-CM, ICD-10-PCS, CPT, HCPCS) or a code; none lists the systems."),
    ] = None,
    all_: Annotated[
        bool,
        typer.Option("--all", help="Every billable code of a system, or every code below a code."),
    ] = False,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
    csv_: CsvOpt = False,
    fmt: FormatOpt = OutputFormat.AUTO,
) -> None:
    """Walk the hierarchy: a system's top level, or a code's children.

    Examples: codelookup browse ICD-10-CM; codelookup browse E11; codelookup browse CPT --all --json
    """

    def work() -> int:
        from .api import Library

        return run_browse(target, all_, _pick_format(fmt, json_, jsonl, csv_), Library(), Streams())

    _guard(work)


@app.command()
def sections(
    code: Annotated[str | None, typer.Argument(help="Only the sections this code's page has.")] = None,
    json_: JsonOpt = False,
    fmt: FormatOpt = OutputFormat.AUTO,
) -> None:
    """List the section names that 'show --section' accepts.

    Examples: codelookup sections; codelookup sections 62264 --json
    """

    def work() -> int:
        from .api import Library

        return run_sections(code, _pick_format(fmt, json_), Library() if code else None, Streams())

    _guard(work)


@app.command()
def systems(
    json_: JsonOpt = False,
    fmt: FormatOpt = OutputFormat.AUTO,
) -> None:
    """Each code system with its release, source, licence and counts.

    Example: codelookup systems --json | jq '.results[] | {name, release}'
    """

    def work() -> int:
        from .api import Library

        return run_systems(_pick_format(fmt, json_), Library(), Streams())

    _guard(work)


# -- the coders' indexes (issue 14; the work is in index_commands.py) -------------------------
@app.command("index")
def index_(
    term: Annotated[list[str], typer.Argument(help="A term, or 'Main term, subterm, …'.", metavar="TERM...")],
    system: Annotated[
        str, typer.Option("--system", "-s", help="cm (ICD-10-CM Alphabetic and External Cause Index) or pcs.")
    ] = "cm",
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
    fmt: FormatOpt = OutputFormat.AUTO,
) -> None:
    """Look a term up in the index, as a coder does: main term, subterms, modifiers, codes, see/see also.

    Examples: codelookup index pheochromocytoma; codelookup index 'fracture, radius, lower end';
    codelookup index abdominohysterectomy --system pcs; codelookup index chordoma --json
    """

    def work() -> int:
        from .api import Library
        from .index_commands import run_index

        return run_index(" ".join(term), system, _pick_format(fmt, json_, False, csv_), Library(), Streams())

    _guard(work)


@app.command()
def neoplasm(
    site: Annotated[list[str], typer.Argument(help="A site of the Neoplasm Table, e.g. breast.", metavar="SITE...")],
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
    fmt: FormatOpt = OutputFormat.AUTO,
) -> None:
    """The Neoplasm Table row(s) for a site: six columns, malignant primary to unspecified behaviour.

    Examples: codelookup neoplasm breast; codelookup neoplasm 'lung, upper lobe' --json
    """

    def work() -> int:
        from .api import Library
        from .index_commands import run_table

        return run_table("neoplasm", " ".join(site), _pick_format(fmt, json_, False, csv_), Library(), Streams())

    _guard(work)


@app.command()
def drug(
    substance: Annotated[
        list[str], typer.Argument(help="A drug or chemical, e.g. acetaminophen.", metavar="SUBSTANCE...")
    ],
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
    fmt: FormatOpt = OutputFormat.AUTO,
) -> None:
    """The Table of Drugs and Chemicals row: poisoning (accidental, self-harm, assault, undetermined),
    adverse effect, underdosing.

    Examples: codelookup drug acetaminophen; codelookup drug 'carbon monoxide' --json
    """

    def work() -> int:
        from .api import Library
        from .index_commands import run_table

        return run_table("drug", " ".join(substance), _pick_format(fmt, json_, False, csv_), Library(), Streams())

    _guard(work)


# -- end of the coders' indexes -----------------------------------------------------------------


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port (0 picks a free one).")] = 8765,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; the default keeps the page private to this machine.")
    ] = "127.0.0.1",
    open_: Annotated[bool, typer.Option("--open", help="Open the page in your web browser.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not log each request on stderr.")] = False,
) -> None:
    """The same search and code pages in your web browser, offline and read-only.

    Example: codelookup serve --open   (then visit http://127.0.0.1:8765/code/62264)
    """

    def work() -> int:
        if not 0 <= port <= 65535:
            raise UsageError(f"--port must be between 0 and 65535, not {port}")
        from .web.server import serve as run_server

        return run_server(host, port, open_browser=open_, quiet=quiet)

    _guard(work)


@app.command("import")
def import_(
    kind: Annotated[
        str | None,
        typer.Argument(
            help="What the file is: hcpcs, cpt, icd10cm, icd10pcs or icd10cm-index (the official index XML).",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Argument(help="The official release file (or your licensed CPT file).", show_default=False),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the imported layers.")] = False,
    remove: Annotated[
        str | None,
        typer.Option("--remove", help="Remove the layer of this kind.", show_default=False),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Load an official release into your own catalogue layer (the bundled file is never changed).

    Examples: codelookup import hcpcs HCPC2026_JAN_ANWEB.txt; codelookup import cpt my-cpt-descriptors.tsv;
    codelookup import icd10pcs icd10pcs_order_2027.txt; codelookup import icd10cm-index icd10cm-index-2026.xml;
    codelookup import --list; codelookup import --remove hcpcs
    """

    def work() -> int:
        from .commands import run_import_command

        return run_import_command(
            kind, file, list_, remove, OutputFormat.JSON if json_ else OutputFormat.AUTO, Streams()
        )

    _guard(work)


def run(argv: list[str]) -> int:
    """Run the Typer app without letting it exit the process or print a traceback."""
    from typer.main import get_command

    command = get_command(app)
    try:
        rc = command.main(args=argv, prog_name="codelookup", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except Exception as exc:  # click usage errors and aborts, from Typer's vendored click
        name = type(exc).__name__
        if name == "Abort":
            _err("aborted")
            return 130
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            ctx = getattr(exc, "ctx", None)
            where = f" (see '{ctx.command_path} --help')" if ctx is not None else " (see 'codelookup --help')"
            _err(exc.format_message().replace("\n", " ") + where)
            return int(exc.exit_code)
        raise
    return rc if isinstance(rc, int) else 0


_ = Path  # keep the import for type checkers of importers' commands
