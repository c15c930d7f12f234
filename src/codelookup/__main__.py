"""Entry point: a dependency-free fast path for scripted search/show, Typer for the rest.

Every invocation is a cold start. Importing Typer and Rich costs more than the whole search, so
the common scripted calls (``search``/``show`` with plain, JSON, JSON Lines or CSV output) are
parsed by :mod:`codelookup.fastpath` and run through the same :mod:`codelookup.commands`
functions; anything it does not recognise goes to the Typer application unchanged.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    try:
        from .fastpath import try_run

        code = try_run(args)
        if code is None:
            from .cli import run

            code = run(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (e.g. `| head -1`): stop quietly, and keep Python's final
        # flush of stdout from raising again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    except KeyboardInterrupt:
        sys.stderr.write("codelookup: interrupted\n")
        code = 130
    except Exception as exc:  # last resort: never a traceback unless asked for
        if os.environ.get("CODELOOKUP_DEBUG"):
            raise
        sys.stderr.write(
            f"codelookup: internal error: {type(exc).__name__}: {exc} "
            "(set CODELOOKUP_DEBUG=1 for details and please report it)\n"
        )
        code = 70
    sys.exit(code)


if __name__ == "__main__":
    main()
