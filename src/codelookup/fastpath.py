"""A tiny argument parser for the calls people and scripts make most, so they skip Typer.

It recognises only ``search`` and ``show`` with their data options, in a pipe or a terminal
(where the commands render with Rich themselves, a third of the time Typer would take).
Anything else (help, an unknown or malformed option, other commands) returns ``None`` and the
Typer application handles it, so every error message and all help text still come from one
place. ``tests/test_fastpath.py`` checks that both paths produce identical output.
"""

from __future__ import annotations

import sys

from .formats import OutputFormat

_FLAGS = {"--json": "json", "--jsonl": "jsonl", "--csv": "csv", "--billable": "billable", "--all": "all"}
_VALUES = {
    "--system": "system",
    "-s": "system",
    "--limit": "limit",
    "-n": "limit",
    "--section": "section",
    "-S": "section",
    "--format": "format",
    "-f": "format",
}
_ALLOWED = {
    "search": {"json", "jsonl", "csv", "billable", "system", "limit", "format", "all"},
    "show": {"json", "jsonl", "system", "section", "format"},
}


def parse(argv: list[str]) -> tuple[str, list[str], dict[str, list[str]]] | None:
    if not argv or argv[0] not in _ALLOWED:
        return None
    command, rest = argv[0], argv[1:]
    positional: list[str] = []
    opts: dict[str, list[str]] = {}
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--":
            positional.extend(rest[i + 1 :])
            break
        if arg.startswith("-") and arg != "-":
            name, eq, value = arg.partition("=")
            if name in _FLAGS and not eq:
                key = _FLAGS[name]
                opts.setdefault(key, []).append("1")
            elif name in _VALUES:
                key = _VALUES[name]
                if not eq:
                    i += 1
                    if i >= len(rest):
                        return None
                    value = rest[i]
                opts.setdefault(key, []).append(value)
            else:
                return None
            if key not in _ALLOWED[command]:
                return None
        else:
            positional.append(arg)
        i += 1
    if not positional:
        return None
    return command, positional, opts


def _format(opts: dict[str, list[str]]) -> OutputFormat | None:
    chosen = [OutputFormat(k) for k in ("json", "jsonl", "csv") if k in opts]
    for value in opts.get("format", []):
        try:
            chosen.append(OutputFormat(value))
        except ValueError:
            return None
    if len(set(chosen)) > 1 or any(
        len(opts.get(k, [])) > 1 for k in ("json", "jsonl", "csv", "billable", "limit", "format", "all")
    ):
        return None
    return chosen[0] if chosen else OutputFormat.AUTO


def try_run(argv: list[str]) -> int | None:
    parsed = parse(argv)
    if parsed is None:
        return None
    command, positional, opts = parsed
    fmt = _format(opts)
    if fmt is None:
        return None
    limit = 10
    if "limit" in opts:
        try:
            limit = int(opts["limit"][0])
        except ValueError:
            return None
    from .api import Library
    from .commands import SearchOptions, ShowOptions, Streams, run_search, run_show
    from .errors import CodelookupError

    try:
        if command == "search":
            return run_search(
                SearchOptions(
                    " ".join(positional),
                    tuple(opts.get("system", ())),
                    "billable" in opts,
                    limit,
                    fmt,
                    "all" in opts,
                ),
                Library(),
                Streams(),
            )
        return run_show(
            ShowOptions(
                tuple(positional),
                tuple(opts.get("system", ())),
                tuple(opts.get("section", ())),
                fmt,
            ),
            Library(),
            Streams(),
        )
    except CodelookupError as exc:
        sys.stderr.write(f"codelookup: {exc}\n")
        return exc.exit_code
