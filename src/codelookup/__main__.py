"""Entry point: a dependency-free fast path for scripted search/show, Typer for the rest.

Every invocation is a cold start. Importing Typer and Rich costs more than the whole search, so
the common scripted calls (``search``/``show`` with plain, JSON, JSON Lines or CSV output) are
parsed by :mod:`codelookup.fastpath` and run through the same :mod:`codelookup.commands`
functions; anything it does not recognise goes to the Typer application unchanged.
"""

from __future__ import annotations

import contextlib
import os
import sys

from .errors import ExitCode


def _text_arg(arg: str) -> str:
    """Undecodable argv bytes arrive as lone surrogates; make them U+FFFD.

    Left in, they reach a strict UTF-8 stdout (any UTF-8 locale) as an encoding crash, or leak
    invalid UTF-8 into JSON output under surrogateescape. ``import`` keeps its file names as
    given, since they are paths, not text.
    """
    try:
        raw = arg.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = arg.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")


def _closed_streams() -> None:
    """A closed descriptor (``<&-``, ``>&-``) acts as /dev/null: reads nothing, writes nowhere.

    Python leaves ``sys.stdin``/``sys.stdout`` as None then, which every write would trip over;
    the exit status stays meaningful this way (found or not found).
    """
    if sys.stdin is None:
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


def _forgiving_output() -> None:
    """Never crash on a character the output encoding lacks (an ASCII or Latin-1 terminal)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a closed or exotic stream
                reconfigure(errors="replace")


def _stdout_file() -> tuple[int, int] | None:
    """Identity of the file behind descriptor 1, to notice when a library redirects it."""
    try:
        st = os.fstat(1)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _pipe_was_closed(stdout_before: tuple[int, int] | None) -> bool:
    """Whether Typer (stdout wrapped in PacifyFlushWrapper) or Rich (descriptor 1 moved to
    /dev/null) met a closed pipe and turned it into ``SystemExit(1)``."""
    return type(sys.stdout).__name__ == "PacifyFlushWrapper" or _stdout_file() != stdout_before


def _quiet_broken_pipe() -> None:
    """The reader went away (e.g. ``| head -1``): keep Python's final flush from raising."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "import":
        args = [_text_arg(a) for a in args]
    _closed_streams()
    _forgiving_output()
    stdout_before = _stdout_file()
    try:
        from .fastpath import try_run

        try:
            code = try_run(args)
            if code is None:
                from .cli import run

                code = run(args)
        except SystemExit as exc:
            # Typer and Rich each handle a closed pipe themselves by exiting 1, which means
            # "not found" here; a reader that went away is not a failure.
            if not _pipe_was_closed(stdout_before):
                raise
            sys.stdout = sys.__stdout__
            raise BrokenPipeError from exc
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()
        code = 0
    except KeyboardInterrupt:
        sys.stderr.write("codelookup: interrupted\n")
        code = ExitCode.INTERRUPTED
    except OSError as exc:  # a full disk or a failing device: the system's problem, not a bug
        if os.environ.get("CODELOOKUP_DEBUG"):
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        sys.stderr.write(f"codelookup: input/output error: {exc.strerror or exc}{where}\n")
        code = ExitCode.IO
    except Exception as exc:  # last resort: never a traceback unless asked for
        if os.environ.get("CODELOOKUP_DEBUG"):
            raise
        from .index import recover

        failure = recover(exc)  # a damaged or unwritable index: the index module's business
        if failure is not None:
            sys.stderr.write(f"codelookup: {failure}\n")
            code = failure.exit_code
        else:
            sys.stderr.write(
                f"codelookup: internal error: {type(exc).__name__}: {exc} "
                "(set CODELOOKUP_DEBUG=1 for details and please report it)\n"
            )
            code = ExitCode.INTERNAL
    if argv is None:
        # The console script: nothing is left to finalise (the index is opened read-only and
        # every write is already complete), so skip interpreter teardown, a few ms per call.
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    main()
