"""codelookup: offline search and plain-language explanations for US medical codes.

The package imports nothing heavy at import time; the public API is loaded on first use.

Four public functions share their names with submodules (``search``, ``lookup``, ``browse``,
``systems``). Python binds a submodule as an attribute of its package when it is imported,
which would replace the function after the first call (``from codelookup import search`` then
gave the module: "'module' object is not callable"). The package object therefore refuses to
let a submodule overwrite a public function; the submodules stay importable by their full name
(``from codelookup.systems import registry``).
"""

from __future__ import annotations

import sys

__version__ = "0.1.0"

__all__ = [
    "CatalogueError",
    "CodelookupError",
    "ExitCode",
    "Library",
    "NotFoundError",
    "UnknownSystemError",
    "UsageError",
    "__version__",
    "annotate",
    "browse",
    "is_billable",
    "is_valid",
    "lookup",
    "search",
    "systems",
    "validate",
]

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - typing is for the checker only (import cost)
    from typing import Any

    from .api import Library, browse, lookup, search, systems
    from .errors import (
        CatalogueError,
        CodelookupError,
        ExitCode,
        NotFoundError,
        UnknownSystemError,
        UsageError,
    )
    from .validation import annotate, is_billable, is_valid, validate

_API = frozenset({"search", "lookup", "browse", "systems", "Library"})
_BULK = frozenset({"validate", "annotate", "is_valid", "is_billable"})
_ERRORS = frozenset(
    {"CatalogueError", "CodelookupError", "ExitCode", "NotFoundError", "UnknownSystemError", "UsageError"}
)
_ModuleType = type(sys)  # types.ModuleType without importing types


class _Package(_ModuleType):  # type: ignore[misc,valid-type]
    """The package module: public API names always mean the functions, never a submodule."""

    def __getattr__(self, name: str) -> Any:
        if name in _API:
            from . import api

            value = getattr(api, name)
        elif name in _BULK:
            from . import validation

            value = getattr(validation, name)
        elif name in _ERRORS:
            from . import errors

            value = getattr(errors, name)
        else:
            raise AttributeError(f"module 'codelookup' has no attribute {name!r}")
        _ModuleType.__setattr__(self, name, value)  # cache: found directly next time
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _API and isinstance(value, _ModuleType):
            return  # the import system binding a submodule: the public function keeps the name
        _ModuleType.__setattr__(self, name, value)


sys.modules[__name__].__class__ = _Package
