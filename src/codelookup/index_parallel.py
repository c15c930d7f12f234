"""The coders' indexes tables of a search index built in a second process, beside the main build.

A full index build is two long, independent halves: the catalogue's records (read, tokenised,
posted: ~3 s) and the coders' indexes (their 140,000 lines tokenised and resolved against the
records: ~3 s with its own catalogue read). On a machine with two cores a forked child builds the
second half into a temporary SQLite file while the parent builds the first; the parent then copies
the child's tables in (a few hundred milliseconds) and carries on with the vocabulary, which needs
both. The tables are the ones :func:`codelookup.indexes.fill` writes in one process, row for row.

Where forking is unsafe or pointless (no ``os.fork``, one CPU, other threads running, as in
``codelookup serve``) :func:`start` returns None and the build fills the tables itself.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from array import array
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - for the checker only (array is not subscriptable at run time)
    Postings = dict[str, array[int]]


class Child:
    """The forked child filling the coders' indexes: :meth:`join` takes its tables, :meth:`close`
    (always, in a ``finally``) reaps it and removes its files, whatever happened to the build."""

    def __init__(self, pid: int, ixdb: str, postfile: str) -> None:
        self.pid, self.ixdb, self.postfile = pid, ixdb, postfile
        self.status: int | None = None

    def _wait(self) -> int:
        if self.status is None:
            _, status = os.waitpid(self.pid, 0)
            self.status = os.waitstatus_to_exitcode(status)
        return self.status

    def join(self, con: sqlite3.Connection) -> Postings | None:
        """Copy the child's tables into ``con`` and return its postings; None if it failed (then
        nothing was written to ``con``, and the caller fills the tables itself)."""
        if self._wait() != 0 or not os.path.isfile(self.postfile):
            return None
        return _copy(con, self.ixdb, self.postfile)

    def close(self) -> None:
        if self.status is None:
            import signal

            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)  # the build failed or was interrupted before it joined
            with contextlib.suppress(ChildProcessError, OSError):
                self._wait()
        for path in (self.ixdb, self.postfile):
            with contextlib.suppress(OSError):
                os.unlink(path)


def start(cat: str | Path, use_layers: bool) -> Child | None:
    """Fork the child that fills the coders' indexes, or None where forking is unsafe or useless."""
    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
        return None
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return None  # forking a threaded process can deadlock the child on a lock it inherits
    import tempfile

    try:
        fd, ixdb = tempfile.mkstemp(prefix="codelookup-ix-", suffix=".sqlite")
        os.close(fd)
    except OSError:  # no writable temporary directory: one process does it all
        return None
    postfile = ixdb + ".post"
    try:
        pid = os.fork()
    except OSError:  # no more processes allowed
        with contextlib.suppress(OSError):
            os.unlink(ixdb)
        return None
    if pid == 0:  # pragma: no cover - the child's coverage is the parent's result
        status = 1
        try:
            _child(cat, use_layers, ixdb, postfile)
            status = 0
        finally:
            os._exit(status)
    return Child(pid, ixdb, postfile)


def _child(cat: str | Path, use_layers: bool, ixdb: str, postfile: str) -> None:  # pragma: no cover
    """Read the catalogue as the parent does and fill the coders' indexes into ``ixdb``."""
    import marshal

    from .catalogue import open_catalogue
    from .index import _merge_layers
    from .indexes import fill
    from .text import norm_code, stem

    header, pcs_tables, records = open_catalogue(cat)
    if use_layers:
        _, _, records = _merge_layers(header, pcs_tables, records)
    # The fields of the parent's record rows that the fill reads: id, system, code, norm, billable.
    rows = []
    for i, rec in enumerate(records):
        code = str(rec["code"])
        rows.append((i, str(rec["system"]), code, norm_code(code), None, int(bool(rec.get("billable")))))
    con = sqlite3.connect(ixdb)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("CREATE TABLE blob(name TEXT PRIMARY KEY, data BLOB)")
    post = fill(con, rows, stem, use_imported=use_layers)
    con.commit()
    con.close()
    with open(postfile, "wb") as fh:
        marshal.dump({term: p.tobytes() for term, p in post.items()}, fh)


def _copy(con: sqlite3.Connection, ixdb: str, postfile: str) -> Postings:
    """The child's tables, indexes and blobs into ``con``; its postings back as arrays."""
    import marshal

    con.commit()
    con.execute("ATTACH DATABASE ? AS ix", (ixdb,))
    try:
        tables = con.execute(
            "SELECT name, sql FROM ix.sqlite_master WHERE type='table' AND name != 'blob' ORDER BY rowid"
        ).fetchall()
        indexes = [sql for (sql,) in con.execute(
            "SELECT sql FROM ix.sqlite_master WHERE type='index' AND sql IS NOT NULL ORDER BY rowid")]  # fmt: skip
        for name, sql in tables:
            con.execute(sql)
            con.execute(f"INSERT INTO main.{name} SELECT * FROM ix.{name}")
        for sql in indexes:
            con.execute(sql)
        con.execute("INSERT INTO main.blob SELECT * FROM ix.blob ORDER BY rowid")
        con.commit()
    finally:
        con.execute("DETACH DATABASE ix")
    with open(postfile, "rb") as fh:
        raw: dict[str, bytes] = marshal.load(fh)
    out: Postings = {}
    for term, data in raw.items():
        p = out[term] = array("I")
        p.frombytes(data)
    return out


__all__ = ["Child", "start"]
