"""The command-line grammar, declared once: every command's arguments and options.

Two parsers read this declaration. The Typer application (:mod:`codelookup.cli`) builds its
parameters from it (flags, help, defaults), and owns help text and every parse error. The fast
path (:mod:`codelookup.fastpath`) parses the same grammar without importing Typer, exactly as
Typer's click parser would (``-s cm``, ``-scm``, ``-s=cm`` meaning the value ``=cm``,
``--system cm``, ``--system=cm``, repeated options, ``--``), and hands anything it cannot
convert or does not own (help, unknown options, bad values) to Typer unchanged.
``tests/test_grammar.py`` walks every Typer parameter against this table and feeds generated
command lines through both parsers.

Cheap to import (tuples and one small class): it is on every cold start.
"""

from __future__ import annotations

FLAG = "flag"  # --json: True when present
VALUE = "value"  # --limit 5: the last one given wins
MULTI = "multi"  # --system cm --system pcs: every one, in order

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
FORMATS = ("auto", "table", "plain", "json", "jsonl", "csv")  # OutputFormat values


class Opt:
    """One option: where its value goes, its spellings, its kind, help and conversion."""

    __slots__ = ("dest", "flags", "help", "kind", "metavar", "type")

    def __init__(
        self, dest: str, flags: tuple[str, ...], kind: str, help: str, type: str = "str", metavar: str = ""
    ) -> None:
        self.dest = dest
        self.flags = flags  # long first, then the short spelling if any
        self.kind = kind
        self.help = help
        self.type = type  # "str", "int" or "format"
        self.metavar = metavar


class Arg:
    """The positional argument of a command: ``many`` (one or more) or a single optional one."""

    __slots__ = ("dest", "help", "many", "metavar", "required")

    def __init__(self, dest: str, help: str, metavar: str, *, many: bool, required: bool) -> None:
        self.dest = dest
        self.help = help
        self.metavar = metavar
        self.many = many
        self.required = required


def _system_help() -> str:
    from .systems import registry

    return "Only this code system (repeatable): " + ", ".join(registry.names()) + " (or cm, pcs, cpt, hcpcs...)."


OPTIONS: dict[str, Opt] = {
    o.dest: o
    for o in (
        Opt("system", ("--system", "-s"), MULTI, "", metavar="SYSTEM"),  # help filled from the registry
        Opt("billable", ("--billable",), FLAG, "Only billable codes."),
        Opt("limit", ("--limit", "-n"), VALUE, f"How many results (1-{MAX_LIMIT}).", type="int"),
        Opt(
            "section",
            ("--section", "-S"),
            MULTI,
            "Only this section (repeatable): slug, heading or unique prefix; see 'codelookup sections'.",
        ),
        Opt("json", ("--json",), FLAG, "One JSON document on stdout."),
        Opt("jsonl", ("--jsonl",), FLAG, "JSON Lines: one object per line (batches)."),
        Opt("csv", ("--csv",), FLAG, "CSV with a header row."),
        Opt(
            "format",
            ("--format", "-f"),
            VALUE,
            "Output format; auto = table on a terminal, plain text in a pipe.",
            type="format",
        ),
        Opt("pager", ("--pager",), FLAG, "Page long output through your pager."),
        Opt(
            "all",
            ("--all",),
            FLAG,
            "Everything: every search result, however many; for browse, every code of a system"
            " (deleted ones marked) or every code below a code.",
        ),
        Opt("list", ("--list",), FLAG, "List the imported layers."),
        Opt("remove", ("--remove",), VALUE, "Remove the layer of this kind.", metavar="KIND"),
        Opt("force", ("--force",), FLAG, "Import even an older release, or one with >10% fewer codes (warns)."),
    )
}

# Each command: its positional argument (or None) and its options, in help order.
COMMANDS: dict[str, tuple[Arg | None, tuple[str, ...]]] = {
    "search": (
        Arg("query", "Words or a code; '-' reads one query per line from stdin.", "QUERY...", many=True,
            required=True),
        ("system", "billable", "limit", "all", "json", "jsonl", "csv", "format"),
    ),
    "show": (
        Arg("codes", "One or more codes (any case, dots optional); '-' reads codes from stdin.", "CODE...",
            many=True, required=True),
        ("system", "section", "json", "jsonl", "pager", "format"),
    ),
    "browse": (
        Arg("target", "A system (e.g. ICD-10-CM, cm) or a code; none lists the systems.", "TARGET", many=False,
            required=False),
        ("all", "json", "jsonl", "csv", "format"),
    ),
    "sections": (
        Arg("code", "Only the sections this code's page has.", "CODE", many=False, required=False),
        ("json", "format"),
    ),
    "systems": (None, ("json", "format")),
    # the coders' indexes (issue 14)
    "index": (
        Arg("term", "A term, or 'Main term, subterm, ...' to walk down like the book.", "TERM...", many=True,
            required=True),
        ("system", "json", "csv", "format"),
    ),
    "neoplasm": (
        Arg("term", "A site of the Neoplasm Table, e.g. breast or 'lung, upper lobe'.", "SITE...", many=True,
            required=True),
        ("json", "csv", "format"),
    ),
    "drug": (
        Arg("term", "A drug or chemical of the Table of Drugs, e.g. acetaminophen.", "SUBSTANCE...", many=True,
            required=True),
        ("json", "csv", "format"),
    ),
}  # fmt: skip
# Commands declared in cli.py only: they never take the fast path (file paths, long-running work,
# or heavy imports that dwarf Typer's start-up). Add a new command either to COMMANDS (fast) or here.
TYPER_ONLY: frozenset[str] = frozenset({"import", "serve", "validate", "export", "crosswalk", "group"})


# Options of the program itself, accepted after the subcommand too (`show E11.9 --no-color`).
GLOBAL_FLAGS = ("--no-color",)


def hoist_global_options(argv: list[str]) -> list[str]:
    """Move global flags given after the subcommand to before it, where Click expects them.

    Only flags (no values) are moved, and nothing after a literal ``--``, so a query or a
    code can never be mistaken for one.
    """
    if not argv or not any(a in GLOBAL_FLAGS for a in argv[1:]):
        return argv
    end = argv.index("--") if "--" in argv else len(argv)
    moved = [a for a in argv[:end] if a in GLOBAL_FLAGS]
    rest = [a for a in argv[:end] if a not in GLOBAL_FLAGS]
    return [*dict.fromkeys(moved), *rest, *argv[end:]]


def option(dest: str) -> Opt:
    """The option ``dest``, with help that depends on the registry filled in."""
    opt = OPTIONS[dest]
    if dest == "system" and not opt.help:
        opt.help = _system_help()
    return opt


def defaults(command: str) -> dict[str, object]:
    """Parsed values when nothing is given: the one place defaults live."""
    arg, names = COMMANDS[command]
    out: dict[str, object] = {}
    if arg is not None:
        out[arg.dest] = [] if arg.many else None
    for name in names:
        kind = OPTIONS[name].kind
        out[name] = False if kind == FLAG else [] if kind == MULTI else None
    if "limit" in out:
        out["limit"] = DEFAULT_LIMIT
    if "format" in out:
        out["format"] = "auto"
    return out


def _convert(opt: Opt, raw: str) -> object | None:
    """The value Typer would produce, or None when only Typer may judge it (it reports the error)."""
    if opt.type == "int":
        body = raw[1:] if raw.startswith("-") else raw
        return int(raw) if body.isdigit() and body.isascii() else None
    if opt.type == "format":
        return raw if raw in FORMATS else None
    return raw


def parse(argv: list[str]) -> tuple[str, dict[str, object]] | None:
    """Parse like click does, or return None for anything Typer must handle (help, errors).

    Returns the command and its values (positional under the argument's ``dest``).
    """
    if not argv or argv[0] not in COMMANDS:
        return None
    command = argv[0]
    arg, names = COMMANDS[command]
    longs = {OPTIONS[n].flags[0]: OPTIONS[n] for n in names}
    shorts = {OPTIONS[n].flags[1]: OPTIONS[n] for n in names if len(OPTIONS[n].flags) > 1}
    values = defaults(command)
    positional: list[str] = []
    rest = argv[1:]
    i = 0
    while i < len(rest):
        token = rest[i]
        i += 1
        if token == "--":
            positional.extend(rest[i:])
            break
        if token[:1] != "-" or len(token) == 1:
            positional.append(token)
            continue
        name, eq, attached = token.partition("=")
        opt = longs.get(name) if token[:2] == "--" or eq else None
        if opt is None and token[:2] == "--":
            return None  # unknown long option (or -h/--help): Typer's message
        if opt is None:
            # click reads "-s=cm" and "-scm" as the short option -s with the value "=cm" / "cm"
            opt = shorts.get(token[:2])
            if opt is None or opt.kind == FLAG:
                return None
            eq, attached = ("=", token[2:]) if len(token) > 2 else ("", "")
        if opt.kind == FLAG:
            if eq:
                return None  # "--json=1": Typer says it takes no value
            values[opt.dest] = True
            continue
        if not eq:
            if i >= len(rest):
                return None  # "requires an argument"
            attached = rest[i]
            i += 1
        value = _convert(opt, attached)
        if value is None:
            return None
        if opt.kind == MULTI:
            values[opt.dest].append(value)  # type: ignore[attr-defined]
        else:
            values[opt.dest] = value
    if arg is None:
        if positional:
            return None
    elif arg.many:
        if not positional and arg.required:
            return None
        values[arg.dest] = positional
    else:
        if len(positional) > 1:
            return None
        values[arg.dest] = positional[0] if positional else None
    return command, values
