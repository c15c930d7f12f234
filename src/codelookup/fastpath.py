"""The fast path: run a command without importing Typer, when the command line is ordinary.

:func:`codelookup.grammar.parse` reads the same declaration the Typer application is built
from, and parses it the way Typer's click parser does; :func:`codelookup.commands.dispatch`
runs the result, exactly as the Typer command functions do. Anything the grammar leaves to
Typer (an unknown or malformed option, a value only Typer may judge, ``import``) returns
``None`` and the Typer application handles it, so every parse error comes from one place.
``tests/test_grammar.py`` proves both paths agree on generated command lines.

Help and ``--version`` are answered here too. ``--version`` is one line built by the same
function Typer's callback calls. Help text is Typer's own: the first ``--help`` of a command
runs Typer and keeps its output in the cache directory, keyed by everything the text depends on
(version, the modules that declare it, the width click wraps to); later calls print it back.
"""

from __future__ import annotations

import os
import sys

from . import __version__
from .grammar import COMMANDS, TYPER_ONLY, hoist_global_options, parse

HELP_FLAGS = ("--help", "-h")
VERSION_FLAGS = ("--version", "-V")


def version_line() -> str:
    """``codelookup --version``: the tool's version and the catalogue release (never fails)."""
    from .catalogue import catalogue_file, read_header
    from .errors import CodelookupError

    try:
        header = read_header(catalogue_file())  # a str: pathlib costs more than the rest
        release = f", catalogue {header.get('catalogue_release', '?')} (schema {header.get('schema_version')})"
    except CodelookupError as exc:
        release = f", catalogue unavailable: {exc}"
    return f"codelookup {__version__}{release}"


def _help_topic(argv: list[str]) -> str | None:
    """'' for ``--help``, the command for ``search --help``; None if argv asks for something else."""
    if len(argv) == 1 and argv[0] in HELP_FLAGS:
        return ""
    if len(argv) == 2 and argv[1] in HELP_FLAGS and (argv[0] in COMMANDS or argv[0] in TYPER_ONLY):
        return argv[0]
    return None


def _help_width() -> int:
    """The width click wraps help to: like ``shutil.get_terminal_size`` capped at 80, minus 2."""
    columns = 0
    env = os.environ.get("COLUMNS", "")
    if env.isdigit():
        columns = int(env)
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 80
    return max(min(columns or 80, 80) - 2, 50)


def _help_file(topic: str) -> str:
    import zlib

    from .paths import cache_dir_str

    here = os.path.dirname(os.path.abspath(__file__))
    parts = [__version__, topic, str(_help_width())]
    for name in ("cli.py", "grammar.py", "systems.py"):  # where every word of the help comes from
        try:
            st = os.stat(os.path.join(here, name))
            parts += [name, str(st.st_size), str(st.st_mtime_ns)]
        except OSError:
            parts.append(name)
    raw = "\x1f".join(parts).encode()
    return os.path.join(cache_dir_str(), "help", f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}.txt")


def _help(topic: str, argv: list[str]) -> int:
    path = _help_file(topic)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError:
        text = None
    if text is None:
        import io

        from .cli import run

        real, sys.stdout = sys.stdout, io.StringIO()
        try:
            code = run(argv)
            text = sys.stdout.getvalue()
        finally:
            sys.stdout = real
        if code != 0:
            sys.stdout.write(text)
            return code
        _remember(path, text)
    sys.stdout.write(text)
    return 0


def _remember(path: str, text: str) -> None:
    """Write atomically; a cache that cannot be written just means Typer answers next time too."""
    import contextlib
    import tempfile

    with contextlib.suppress(OSError):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".help-", suffix=".tmp", dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def try_run(argv: list[str]) -> int | None:
    argv = hoist_global_options(argv)
    if len(argv) > 1 and argv[0] == "--no-color":  # what the Typer app's callback does with it
        os.environ["NO_COLOR"] = "1"
        argv = argv[1:]
    if len(argv) == 1 and argv[0] in VERSION_FLAGS:
        sys.stdout.write(version_line() + "\n")
        return 0
    topic = _help_topic(argv)
    if topic is not None:
        return _help(topic, argv)
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


__all__ = ["parse", "try_run", "version_line"]
