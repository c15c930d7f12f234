"""codelookup: offline search and plain-language explanations for US medical codes.

The package imports nothing heavy at import time; the public API is loaded on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "CatalogueError",
    "CodelookupError",
    "NotFoundError",
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

    from .api import browse, lookup, search, systems
    from .errors import CatalogueError, CodelookupError, NotFoundError, UsageError
    from .validation import annotate, is_billable, is_valid, validate


def __getattr__(name: str) -> Any:
    if name in ("search", "lookup", "browse", "systems"):
        from . import api

        return getattr(api, name)
    if name in ("validate", "annotate", "is_valid", "is_billable"):
        from . import validation

        return getattr(validation, name)
    if name in ("CatalogueError", "CodelookupError", "NotFoundError", "UsageError"):
        from . import errors

        return getattr(errors, name)
    raise AttributeError(name)
