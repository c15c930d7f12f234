"""Per-user directories for the search-index cache and the imported layers.

On Linux the XDG rules are applied directly: it is what platformdirs does there, and importing
platformdirs costs more than the rest of a cold ``codelookup show``. Other platforms ask
platformdirs. Environment overrides make tests and read-only homes easy.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "codelookup"


def _xdg(var: str, default: str) -> Path:
    value = os.environ.get(var, "")
    base = Path(value) if value and os.path.isabs(value) else Path.home() / default
    return base / APP


def cache_dir() -> Path:
    """Where the search index lives (``$CODELOOKUP_CACHE_DIR`` overrides)."""
    env = os.environ.get("CODELOOKUP_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform.startswith("linux"):
        return _xdg("XDG_CACHE_HOME", ".cache")
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def data_dir() -> Path:
    """Where imported layers live (``$CODELOOKUP_DATA_DIR`` overrides)."""
    env = os.environ.get("CODELOOKUP_DATA_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform.startswith("linux"):
        return _xdg("XDG_DATA_HOME", ".local/share")
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False))
