"""Per-user directories for the search-index cache and the imported layers.

On Linux the XDG rules are applied directly: it is what platformdirs does there, and importing
platformdirs costs more than the rest of a cold ``codelookup show``. Other platforms ask
platformdirs. Environment overrides make tests and read-only homes easy.

The ``*_str`` functions return plain strings for the cold-start path, which avoids importing
``pathlib`` (a few milliseconds on every call); the ``Path`` versions serve everything else.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only (import cost)
    from pathlib import Path

APP = "codelookup"


def _xdg(var: str, default: str) -> str:
    value = os.environ.get(var, "")
    base = value if value and os.path.isabs(value) else os.path.join(os.path.expanduser("~"), default)
    return os.path.join(base, APP)


def _dir(env_var: str, xdg_var: str, xdg_default: str, kind: str) -> str:
    env = os.environ.get(env_var)
    if env:
        return os.path.expanduser(env)
    if sys.platform.startswith("linux"):
        return _xdg(xdg_var, xdg_default)
    import platformdirs

    finder = platformdirs.user_cache_dir if kind == "cache" else platformdirs.user_data_dir
    return str(finder(APP, appauthor=False))


def cache_dir_str() -> str:
    """Where the search index lives (``$CODELOOKUP_CACHE_DIR`` overrides)."""
    return _dir("CODELOOKUP_CACHE_DIR", "XDG_CACHE_HOME", ".cache", "cache")


def data_dir_str() -> str:
    """Where imported layers live (``$CODELOOKUP_DATA_DIR`` overrides)."""
    return _dir("CODELOOKUP_DATA_DIR", "XDG_DATA_HOME", ".local/share", "data")


def layers_dir_str() -> str:
    """Where imported layers live: ``imports`` under the data directory (the one definition)."""
    return os.path.join(data_dir_str(), "imports")


def cache_dir() -> Path:
    from pathlib import Path

    return Path(cache_dir_str())


def data_dir() -> Path:
    from pathlib import Path

    return Path(data_dir_str())
