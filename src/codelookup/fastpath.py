"""The fast path: run a command without importing Typer, when the command line is ordinary.

:func:`codelookup.grammar.parse` reads the same declaration the Typer application is built
from, and parses it the way Typer's click parser does; :func:`codelookup.commands.dispatch`
runs the result, exactly as the Typer command functions do. Anything the grammar leaves to
Typer (help, an unknown or malformed option, a value only Typer may judge, ``import``) returns
``None`` and the Typer application handles it, so every parse error and all help text come
from one place. ``tests/test_grammar.py`` proves both paths agree on generated command lines.
"""

from __future__ import annotations

import sys

from .grammar import parse


def try_run(argv: list[str]) -> int | None:
    parsed = parse(argv)
    if parsed is None:
        return None
    command, values = parsed
    from .commands import dispatch
    from .errors import CodelookupError

    try:
        return dispatch(command, values)
    except CodelookupError as exc:
        sys.stderr.write(f"codelookup: {exc}\n")
        return exc.exit_code


__all__ = ["parse", "try_run"]
