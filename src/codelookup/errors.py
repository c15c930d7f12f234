"""One exception family for every failure a user can cause or meet, and the exit codes.

The CLI catches :class:`CodelookupError` only, prints ``str(error)`` as one line on stderr and
exits with ``error.exit_code``; library users catch the same types. The exit code follows the
error's *type*, never its message: a batch that must stop on a bad ``--system`` but go on past
an unknown code tells them apart by class (``UnknownSystemError`` vs ``NotFoundError``).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit statuses (documented in the README's "Exit codes and errors" table)."""

    OK = 0
    NOT_FOUND = 1  # nothing matched; in a batch, at least one entry was not found
    USAGE = 2  # the request itself is wrong (bad option, empty or over-long input)
    DATA = 3  # catalogue, search index or import file unusable
    INTERNAL = 70  # EX_SOFTWARE: a bug
    IO = 74  # EX_IOERR: the disk or device failed
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)


class CodelookupError(Exception):
    """Base class: a problem the user can understand and fix."""

    exit_code: ExitCode = ExitCode.NOT_FOUND

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class NotFoundError(CodelookupError):
    """Nothing matched: a search without results or an unknown code (exit 1)."""

    exit_code = ExitCode.NOT_FOUND

    def __init__(self, message: str, *, hint: str | None = None, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message, hint=hint)
        self.suggestions = suggestions


class UsageError(CodelookupError):
    """The request itself is wrong: empty query, bad option value, unknown section (exit 2)."""

    exit_code = ExitCode.USAGE


class UnknownSystemError(UsageError):
    """``--system`` names no known code system; a batch stops, since every entry would fail."""

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"unknown system {name!r}", hint="use one of: " + ", ".join(known))
        self.name = name


class UnknownSectionError(UsageError):
    """``--section`` names no section, or a prefix that fits several."""


class InputTooLongError(UsageError):
    """One query or code is absurdly long; in a batch it is that entry's error only."""


class EmptyInputError(UsageError):
    """An empty query or code."""


class ConflictingOptionsError(UsageError):
    """Two options that exclude each other (``--json --csv``)."""


class CatalogueError(CodelookupError):
    """The catalogue or an imported layer is missing, unreadable or invalid (exit 3)."""

    exit_code = ExitCode.DATA


class IndexDamagedError(CatalogueError):
    """The search index file is damaged; it has been removed so the next run rebuilds it."""


class IndexIOError(CodelookupError):
    """The disk under the search index failed or is full (exit 74)."""

    exit_code = ExitCode.IO


class ImportFileError(CodelookupError):
    """An import file is wrong or corrupt; the previous state was kept (exit 3)."""

    exit_code = ExitCode.DATA


# Errors that concern one entry of a batch (``search -``, ``show -``, several codes): the batch
# reports them for that entry and goes on; every other error ends the command.
ENTRY_ERRORS: tuple[type[CodelookupError], ...] = (NotFoundError, InputTooLongError, EmptyInputError)
