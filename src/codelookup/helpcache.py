"""``--help`` and ``--version`` without importing Typer: Typer's own text, kept from an earlier call.

Typer owns every help text (it is built from :mod:`codelookup.cli` and the grammar), but
importing and running it costs 3-4x a whole fast-path search. So the first help request in an
install runs Typer as usual and, while Typer is loaded anyway, records the help of the top
level and of every command the application has (taken from the app itself, never listed
here) in one file in the cache directory. Later ``--help``/``-h`` calls print those bytes.

The file cannot drift from what Typer would print: it is named by a checksum of every module
of this package (a changed option, command or help string changes the name), it records the
size and modification time of the Typer and click installations it was rendered with (an
upgrade invalidates it), and it holds the text at click's full width (78 columns) only, so a
terminal narrower than 80 columns goes to Typer. Anything unexpected (no cache directory, a
damaged file) also goes to Typer, which rewrites the file. ``tests/test_helpcache.py``
compares the served text with Typer's for every command of the app, byte for byte.
"""

from __future__ import annotations

import os
import sys
import zlib

HELP_FLAGS = ("--help", "-h")  # the app's help_option_names
VERSION_FLAGS = ("--version", "-V")
WIDTH_COLUMNS = 80  # click wraps help to min(columns, 80) - 2: every terminal this wide reads the same text
_HERE = os.path.dirname(os.path.abspath(__file__))

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only (import cost)
    from typing import Any


def help_key(argv: list[str]) -> str | None:
    """Which help ``argv`` asks for: ``""`` for the top level (also bare ``codelookup``), a command
    name, or None (not a plain help request)."""
    if not argv or (len(argv) == 1 and argv[0] in HELP_FLAGS):
        return ""
    if len(argv) == 2 and argv[1] in HELP_FLAGS and argv[0][:1] != "-":
        return argv[0]
    return None


def version_text() -> str:
    """``codelookup X.Y.Z, catalogue R (schema N)``: the one definition, for Typer and the fast path."""
    from . import __version__
    from .catalogue import catalogue_file, read_header
    from .errors import CodelookupError

    try:
        header = read_header(catalogue_file())
        release = f", catalogue {header.get('catalogue_release', '?')} (schema {header.get('schema_version')})"
    except CodelookupError as exc:
        release = f", catalogue unavailable: {exc}"
    return f"codelookup {__version__}{release}"


def fingerprint(package_dir: str = _HERE) -> str:
    """A checksum of every module of the package (sorted by name): what the help text is built from."""
    crc = 0
    for name in sorted(os.listdir(package_dir)):
        if name.endswith(".py"):
            crc = zlib.crc32(name.encode(), crc)
            with open(os.path.join(package_dir, name), "rb") as fh:
                crc = zlib.crc32(fh.read(), crc)
    return f"{crc:08x}"


def cache_file(package_dir: str = _HERE) -> str:
    from .paths import cache_dir_str

    return os.path.join(cache_dir_str(), f"help-{fingerprint(package_dir)}.json")


def terminal_columns() -> int:
    """The width click's help formatter will see (``shutil.get_terminal_size``, without importing shutil)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return columns


def _library_stamps() -> list[list[Any]]:
    """Size and time of the files behind Typer's and click's help output (loaded by the caller)."""
    stamps: list[list[Any]] = []
    for name in ("typer", "click"):
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None)
        if not path:
            continue
        folder = os.path.dirname(path)
        for part in ("__init__.py", "core.py", "formatting.py", "main.py"):
            full = os.path.join(folder, part)
            if os.path.isfile(full):
                st = os.stat(full)
                stamps.append([full, st.st_mtime_ns, st.st_size])
    return stamps


def _stamps_hold(stamps: list[list[Any]]) -> bool:
    for full, mtime_ns, size in stamps:
        try:
            st = os.stat(full)
        except OSError:
            return False
        if st.st_mtime_ns != mtime_ns or st.st_size != size:
            return False
    return bool(stamps)


def _load(path: str | None = None) -> dict[str, str] | None:
    """The recorded help texts, or None when there are none or they may be stale."""
    try:
        import json

        with open(path or cache_file(), encoding="utf-8") as fh:
            doc = json.load(fh)
        texts = doc["help"]
        if isinstance(texts, dict) and _stamps_hold(doc["stamps"]):
            return texts
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


def cached_help(key: str, path: str | None = None) -> str | None:
    """The recorded help for ``key``, or None (none recorded, maybe stale, or a narrow terminal)."""
    if terminal_columns() < WIDTH_COLUMNS:
        return None
    texts = _load(path)
    text = texts.get(key) if texts is not None else None
    return text if isinstance(text, str) else None


def needs_record(path: str | None = None) -> bool:
    """Whether Typer, having just printed a help text, should (re)write the file."""
    try:
        return _load(path) is None
    except OSError:
        return False


def try_help(argv: list[str]) -> int | None:
    """Print ``--version`` or a recorded help text and return 0; None leaves the call to Typer.

    Shell completion (click's ``_CODELOOKUP_COMPLETE``, run with no arguments) is Typer's.
    """
    if "_CODELOOKUP_COMPLETE" in os.environ:
        return None
    if len(argv) == 1 and argv[0] in VERSION_FLAGS:
        sys.stdout.write(version_text() + "\n")
        return 0
    key = help_key(argv)
    if key is None:
        return None
    text = cached_help(key)
    if text is None:
        return None
    sys.stdout.write(text)
    return 0


def render_all() -> dict[str, str]:
    """Typer's help for the top level and every command of the app, as ``--help`` prints it at 80 columns."""
    import contextlib
    import io

    from typer.main import get_command

    from .cli import _run, app

    commands = sorted(getattr(get_command(app), "commands", {}))
    out: dict[str, str] = {}
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(WIDTH_COLUMNS)
    try:
        for key in ("", *commands):
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                rc = _run([key, "--help"] if key else ["--help"])
            if rc != 0:
                raise RuntimeError(f"help for {key or 'codelookup'} exited {rc}")
            out[key] = buf.getvalue()
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    return out


def record(path: str | None = None) -> str | None:
    """Write the help file (atomically) from the loaded Typer app; None when it cannot be written."""
    import json
    import tempfile

    target = path or cache_file()
    try:
        texts = render_all()
        doc = {"fingerprint": fingerprint(), "stamps": _library_stamps(), "help": texts}
        folder = os.path.dirname(target)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".help-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, ensure_ascii=False)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
        for name in os.listdir(folder):  # help of an older version of the package
            if name.startswith("help-") and name.endswith(".json") and os.path.join(folder, name) != target:
                os.remove(os.path.join(folder, name))
    except Exception:  # an optimisation only: Typer has answered already
        return None
    return target
