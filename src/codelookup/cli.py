"""The Typer application: argument parsing and help only; the work is in :mod:`commands`."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from . import grammar
from .commands import Streams, dispatch, pick_format
from .errors import CodelookupError, ExitCode, UsageError
from .formats import OutputFormat
from .systems import registry

app = typer.Typer(
    name="codelookup",
    help=(
        f"Search every US medical code ({', '.join(registry.names())}) offline and read what "
        "each one means in plain language.\n\nExample: codelookup search 'heart attack'"
    ),
    no_args_is_help=True,
    # --install-completion / --show-completion: Typer's own, costing nothing on the fast path
    # (scripted search/show never import Typer) and only a lazy import when used.
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _opt(dest: str, **extra: Any) -> Any:
    """A Typer option built from the one grammar (flags, help): see :mod:`codelookup.grammar`."""
    spec = grammar.option(dest)
    if spec.metavar:
        extra.setdefault("metavar", spec.metavar)
    return typer.Option(*spec.flags, help=spec.help, **extra)


def _arg(command: str, **extra: Any) -> Any:
    spec = grammar.COMMANDS[command][0]
    assert spec is not None
    return typer.Argument(help=spec.help, metavar=spec.metavar, show_default=False, **extra)


JsonOpt = Annotated[bool, _opt("json")]
JsonlOpt = Annotated[bool, _opt("jsonl")]
CsvOpt = Annotated[bool, _opt("csv")]
FormatOpt = Annotated[OutputFormat, _opt("format")]
SystemOpt = Annotated[list[str] | None, _opt("system")]
AUTO = OutputFormat.AUTO


def _err(message: str) -> None:
    sys.stderr.write(f"codelookup: {message}\n")
    sys.stderr.flush()


def _guard(work: Callable[[], int]) -> None:
    """The one place domain errors become a one-line message and an exit code."""
    try:
        code = work()
    except CodelookupError as exc:
        _err(str(exc))
        raise typer.Exit(code=exc.exit_code) from None
    if code:
        raise typer.Exit(code=code)


def _dispatch(command: str, params: dict[str, Any]) -> None:
    """Hand Typer's parsed parameters to the same entry point as the fast path.

    Parameter names are the grammar's ``dest`` names (a trailing underscore avoids a builtin).
    """
    values = grammar.defaults(command)
    for name, value in params.items():
        dest = name.rstrip("_")
        if isinstance(value, OutputFormat):
            value = value.value
        values[dest] = values[dest] if value is None else value
    _guard(lambda: dispatch(command, values))


def _version(value: bool) -> None:
    if value:
        from .fastpath import version_line

        typer.echo(version_line())
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
    query: Annotated[list[str], _arg("search")],
    system: SystemOpt = None,
    billable: Annotated[bool, _opt("billable")] = False,
    limit: Annotated[int, _opt("limit")] = grammar.DEFAULT_LIMIT,
    all_: Annotated[bool, _opt("all")] = False,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
    csv_: CsvOpt = False,
    format_: FormatOpt = AUTO,
) -> None:
    """Search codes by words, lay terms, typos or codes.

    Examples: codelookup search 'diabetic foot ulcer'; codelookup search e119;
    codelookup search 'E11.9 I10'; codelookup search 'S72.0-S72.1' --all --csv > hips.csv;
    codelookup search 'E11.6*' --json | jq '.results[].code'; printf 'afib\\ncopd\\n' | codelookup search - --jsonl
    """
    _dispatch("search", locals())


@app.command()
def show(
    codes: Annotated[list[str], _arg("show")],
    system: SystemOpt = None,
    section: Annotated[list[str] | None, _opt("section")] = None,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
    pager: Annotated[bool, _opt("pager")] = False,
    format_: FormatOpt = AUTO,
) -> None:
    """Show a code's page: official title, notes, structure and plain-language sections.

    Examples: codelookup show 62264; codelookup show E11.621 --section excludes1;
    codelookup show 0SRC0J9 --json | jq '.records[0].sections.axes'; cat codes.txt | codelookup show - --jsonl
    """
    _dispatch("show", locals())


@app.command()
def browse(
    target: Annotated[str | None, _arg("browse")] = None,
    all_: Annotated[bool, _opt("all")] = False,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
    csv_: CsvOpt = False,
    format_: FormatOpt = AUTO,
) -> None:
    """Walk the hierarchy: a system's top level, or a code's children.

    Examples: codelookup browse ICD-10-CM; codelookup browse E11; codelookup browse CPT --all --json
    """
    _dispatch("browse", locals())


@app.command()
def sections(
    code: Annotated[str | None, _arg("sections")] = None,
    json_: JsonOpt = False,
    format_: FormatOpt = AUTO,
) -> None:
    """List the section names that 'show --section' accepts.

    Examples: codelookup sections; codelookup sections 62264 --json
    """
    _dispatch("sections", locals())


@app.command()
def systems(
    json_: JsonOpt = False,
    format_: FormatOpt = AUTO,
) -> None:
    """Each code system with its release, source, licence and counts.

    Example: codelookup systems --json | jq '.results[] | {name, release}'
    """
    _dispatch("systems", locals())


# -- the coders' indexes (issue 14; the work is in index_commands.py) -------------------------
@app.command("index")
def index_(
    term: Annotated[list[str], _arg("index")],
    system: SystemOpt = None,
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
    format_: FormatOpt = AUTO,
) -> None:
    """Look a term up in the index, as a coder does: main term, subterms, modifiers, codes, see/see also.

    --system cm (default): the ICD-10-CM Alphabetic Index and External Cause Index; --system pcs:
    the ICD-10-PCS Index (tables and how to finish the code).

    Examples: codelookup index pheochromocytoma; codelookup index 'fracture, radius, lower end';
    codelookup index abdominohysterectomy --system pcs; codelookup index chordoma --json
    """
    _dispatch("index", locals())


@app.command()
def neoplasm(
    term: Annotated[list[str], _arg("neoplasm")],
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
    format_: FormatOpt = AUTO,
) -> None:
    """The Neoplasm Table row(s) for a site: six columns, malignant primary to unspecified behaviour.

    Examples: codelookup neoplasm breast; codelookup neoplasm 'lung, upper lobe' --json
    """
    _dispatch("neoplasm", locals())


@app.command()
def drug(
    term: Annotated[list[str], _arg("drug")],
    json_: JsonOpt = False,
    csv_: CsvOpt = False,
    format_: FormatOpt = AUTO,
) -> None:
    """The Table of Drugs and Chemicals row: poisoning (accidental, self-harm, assault, undetermined),
    adverse effect, underdosing.

    Examples: codelookup drug acetaminophen; codelookup drug 'carbon monoxide' --json
    """
    _dispatch("drug", locals())


# -- end of the coders' indexes -----------------------------------------------------------------


# -- crosswalk (issue 18) ---------------------------------------------------------------------
@app.command()
def crosswalk(
    codes: Annotated[
        list[str],
        typer.Argument(
            help="ICD-9-CM or ICD-10 codes (dots optional); '-' reads one code per line from stdin.",
            show_default=False,
            metavar="CODE...",
        ),
    ],
    gem: Annotated[
        str,
        typer.Option("--gem", help="Which GEM: forward (ICD-9 to ICD-10), backward (ICD-10 to ICD-9) or both."),
    ] = "both",
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
    csv_: CsvOpt = False,
    fmt: FormatOpt = OutputFormat.AUTO,
) -> None:
    """ICD-9-CM <-> ICD-10 equivalents from the CMS GEMs (2018), with their flags in words.

    Shows both GEMs for every code: the forward GEM (ICD-9-CM to ICD-10) and the backward GEM
    (ICD-10 to ICD-9-CM), each read from whichever side the code is on. Targets no longer valid
    today are flagged with their current codes.

    Examples: codelookup crosswalk 250.00; codelookup crosswalk 0SRC0J9 --json;
    cut -f1 icd9.tsv | codelookup crosswalk - --jsonl --gem forward > icd10.jsonl
    """

    def work() -> int:
        from .api import Library
        from .crosswalk import run_crosswalk

        chosen = pick_format({"json": json_, "jsonl": jsonl, "csv": csv_, "format": fmt.value})
        return run_crosswalk(tuple(codes), chosen, Library(), Streams(), gem.lower())

    _guard(work)


# -- group (issue 22) ----------------------------------------------------------------------------
@app.command()
def group(
    batch: Annotated[
        str | None,
        typer.Argument(help="'-' reads one stay per line from stdin as JSON; prints JSON Lines.", show_default=False),
    ] = None,
    dx: Annotated[
        list[str] | None,
        typer.Option("--dx", help="ICD-10-CM diagnosis (repeatable); the first is the principal diagnosis."),
    ] = None,
    proc: Annotated[list[str] | None, typer.Option("--proc", help="ICD-10-PCS procedure (repeatable).")] = None,
    sex: Annotated[str | None, typer.Option("--sex", help="F or M (asked for only when it changes the DRG).")] = None,
    alive: Annotated[
        bool, typer.Option("--discharged-alive/--died", help="Whether the patient was discharged alive.")
    ] = True,
    version: Annotated[
        str | None, typer.Option("--version", help="MS-DRG version, v36 to v43.1 (default v43, FY2026).")
    ] = None,
    date: Annotated[
        str | None, typer.Option("--date", help="Discharge date (YYYY-MM-DD): picks the version in effect.")
    ] = None,
    json_: JsonOpt = False,
    jsonl: JsonlOpt = False,
    fmt: FormatOpt = OutputFormat.AUTO,
) -> None:
    """Which MS-DRG a hospital stay groups to, with its title, weight and the path in words.

    Uses drgpy, an independent implementation of the CMS MS-DRG tables (not the CMS grouper).
    Every code is checked against the catalogue first.

    Examples: codelookup group --dx M17.11 --proc 0SRC0J9; codelookup group --dx J18.9 --dx N17.9 --json;
    echo '{"dx": ["J18.9"], "sex": "M"}' | codelookup group - | jq .drg
    """

    def work() -> int:
        from .api import Library
        from .grouper import Stay, run_group

        chosen = pick_format({"json": json_, "jsonl": jsonl, "format": fmt.value})
        if batch is not None:
            if batch != "-":
                raise UsageError(f"unexpected argument {batch!r}", hint="use '-' to read stays from stdin")
            if dx or proc:
                raise UsageError("give stays on stdin or with --dx/--proc, not both")
            return run_group(None, chosen, Library(), Streams())
        stay = Stay(tuple(dx or ()), tuple(proc or ()), sex, alive, version, date)
        return run_group(stay, chosen, Library(), Streams())

    _guard(work)


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


@app.command()
def validate(
    source: Annotated[
        str, typer.Argument(help="'-' reads standard input (one code per line, or CSV/TSV with --column).")
    ],
    column: Annotated[
        str | None, typer.Option("--column", "-c", help="CSV/TSV column: 1-based number or header name.")
    ] = None,
    system: Annotated[str | None, typer.Option("--system", "-s", help="Validate against this system only.")] = None,
    fields: Annotated[
        str | None, typer.Option("--fields", help="Comma-separated output fields (default: all).")
    ] = None,
    csv_: CsvOpt = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any code is invalid.")] = False,
) -> None:
    """Check a stream of codes (valid, billable, deleted, title, reason): JSON Lines or CSV out, summary on stderr.

    Example: cut -d, -f3 claims.csv | codelookup validate - --csv > checked.csv
    """

    def work() -> int:
        if source != "-":
            raise UsageError("validate reads standard input", hint="use '-', e.g. codelookup validate - < codes.txt")
        from .bulk import run_validate
        from .validation import FIELDS

        chosen = tuple(f.strip() for f in fields.split(",") if f.strip()) if fields else FIELDS
        return run_validate(sys.stdin, sys.stdout, sys.stderr, column=column, system=system, fields=chosen,
                            fmt="csv" if csv_ else "jsonl", strict=strict)  # fmt: skip

    _guard(work)


@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, jsonl, parquet or sqlite.")] = "csv",
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="File to write (required for parquet and sqlite).")
    ] = None,
    system: SystemOpt = None,
) -> None:
    """Write the whole catalogue (codes, titles, billable, hierarchy, notes, status) for joins elsewhere.

    Example: codelookup export --format parquet -o codes.parquet --system ICD-10-CM
    """

    def work() -> int:
        from .bulk import run_export

        return run_export(fmt, output, system or [], sys.stdout, sys.stderr)

    _guard(work)


@app.command("import")
def import_(
    kind: Annotated[
        str | None,
        typer.Argument(
            help="What the file is: " + ", ".join([*registry.import_kinds(), "icd10cm-index"]) + ".",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Argument(help="The official release file (or your licensed CPT file).", show_default=False),
    ] = None,
    list_: Annotated[bool, _opt("list")] = False,
    remove: Annotated[str | None, _opt("remove", show_default=False)] = None,
    force: Annotated[bool, _opt("force")] = False,
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
            kind, file, list_, remove, OutputFormat.JSON if json_ else OutputFormat.AUTO, Streams(), force
        )

    _guard(work)


# Options of the program itself, accepted after the subcommand too: declared in the grammar,
# which the fast path reads as well.
GLOBAL_FLAGS = grammar.GLOBAL_FLAGS
hoist_global_options = grammar.hoist_global_options


def run(argv: list[str]) -> int:
    """Run the Typer app without letting it exit the process or print a traceback."""
    from typer.main import get_command

    command = get_command(app)
    argv = hoist_global_options(argv)
    try:
        rc = command.main(args=argv, prog_name="codelookup", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except Exception as exc:  # click usage errors and aborts, from Typer's vendored click
        name = type(exc).__name__
        if name == "Abort":
            _err("aborted")
            return ExitCode.INTERRUPTED
        ctx = getattr(exc, "ctx", None)
        if name == "NoArgsIsHelpError" and ctx is not None:
            # Bare `codelookup` (or a group without its subcommand): the normal help, as lines.
            sys.stdout.write(ctx.get_help() + "\n")
            return ExitCode.OK
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            if ctx is not None:
                where = f" (see '{ctx.command_path} --help')"
            else:
                # click's parser raises "Option '--dx' requires an argument." without a context:
                # point at the subcommand's help (the first word that is not an option), not the app's.
                sub = next((a for a in argv if not a.startswith("-")), None)
                commands = getattr(command, "commands", {})
                where = f" (see 'codelookup {sub} --help')" if sub in commands else " (see 'codelookup --help')"
            _err(exc.format_message().replace("\n", " ") + where)
            return int(exc.exit_code)
        raise
    return rc if isinstance(rc, int) else 0
