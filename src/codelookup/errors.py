"""One exception family for every failure a user can cause or meet.

The CLI catches :class:`CodelookupError` only, prints ``str(error)`` as one line on stderr and
exits with ``error.exit_code``; library users catch the same type.
"""

from __future__ import annotations


class CodelookupError(Exception):
    """Base class: a problem the user can understand and fix."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class NotFoundError(CodelookupError):
    """Nothing matched: a search without results or an unknown code (exit 1)."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message, hint=hint)
        self.suggestions = suggestions


class UsageError(CodelookupError):
    """The request itself is wrong: empty query, bad option value, unknown section (exit 2)."""

    exit_code = 2


class CatalogueError(CodelookupError):
    """The catalogue or an imported layer is missing, unreadable or invalid (exit 3)."""

    exit_code = 3


class ImportFileError(CodelookupError):
    """An import file is wrong or corrupt; the previous state was kept (exit 3)."""

    exit_code = 3
