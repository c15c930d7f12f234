"""The importable core: everything the CLI does, as plain functions and one facade class.

``from codelookup import search, lookup`` works for Python users; the CLI is a thin layer that
formats what these return. One :class:`Library` per process keeps the index connection open, so
batches pay the start-up cost once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import cached_property

from .errors import NotFoundError
from .models import CodeDetail, CodeRef, SystemInfo
from .search import Searcher, SearchResult, not_found
from .systems import registry
from .text import clean_text

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - typing is for the checker only (import cost)
    from typing import Any

    from .detail import Details, Row


class Library:
    """A session over the current catalogue (bundled plus imported layers)."""

    def __init__(self, con: sqlite3.Connection | None = None, *, progress: bool = True) -> None:
        self._con = con
        self._progress = progress

    @cached_property
    def con(self) -> sqlite3.Connection:
        if self._con is None:
            from .index import connect

            self._con = connect(progress=self._progress)
        return self._con

    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.con)

    @cached_property
    def details(self) -> Details:
        from .detail import Details

        return Details(self.con, self.searcher)

    def meta(self, key: str) -> str:
        row = self.con.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else ""

    # -- search -------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        systems: Sequence[str] | None = None,
        billable_only: bool = False,
        limit: int | None = 10,
    ) -> SearchResult:
        """Ranked hits (a sequence of :class:`SearchHit` with ``.notes`` and ``.total``, the count
        before the limit; ``limit=None`` lists them all); empty when nothing matches.

        An empty result is data, not an error; :meth:`not_found` explains it (did-you-mean
        suggestions). A bad request (empty query, unknown system, bad limit) raises UsageError.
        """
        return self.searcher.search(query, systems=systems, billable_only=billable_only, limit=limit)

    def not_found(self, result: SearchResult) -> NotFoundError:
        """The error that explains an empty result, with did-you-mean suggestions."""
        return not_found(self.searcher, result)

    # -- codes --------------------------------------------------------------------------
    def lookup(self, code: str, *, system: str | None = None) -> CodeDetail:
        """The detail page of one code; raises NotFoundError (with suggestions) if unknown.

        A code string that exists in several systems (B20) gives the first in display order;
        :meth:`lookup_all` gives every one, and ``system`` picks one.
        """
        return self.lookup_all(code, systems=[system] if system else None)[0]

    def lookup_all(
        self, code: str, *, systems: Sequence[str] | None = None, by_wording: bool = True
    ) -> list[CodeDetail]:
        """Every record with this code (one per system that has it); NotFoundError if none.

        ``by_wording=False`` skips the similar-by-wording search, which dominates the cost of a
        page; large batches use it to stay fast.
        """
        return self.details.lookup(code, list(systems) if systems else None, by_wording=by_wording)

    def browse(
        self, target: str | None = None, *, all_below: bool = False, limit: int = 100_000
    ) -> tuple[str, list[CodeRef]]:
        """A system's top level, or a code's children; ``all_below`` lists every descendant."""
        name = clean_text(target or "")
        if not name:
            refs = []
            for system, prov in sorted(self.system_info().items()):
                refs.append(CodeRef(system, "system", str(prov.release), "", None))
            return "Code systems", refs
        ccsr = self._browse_ccsr(name, limit)  # issue 18: 'browse CCSR', 'browse CIR007'
        if ccsr is not None:
            return ccsr
        known = registry.lookup(name)
        if known is not None:
            system = known.name
            if all_below:
                rows = self.con.execute(
                    # Every code: billable ones, and deleted/terminated codes (listed, marked not billable).
                    "SELECT code, system, title, billable FROM rec WHERE system=? AND (billable=1 OR kind='code') "
                    "ORDER BY id LIMIT ?",
                    (system, limit),
                ).fetchall()
            else:
                rows = self.con.execute(
                    "SELECT code, system, title, billable FROM rec WHERE system=? AND parent IS NULL "
                    "ORDER BY id LIMIT ?",
                    (system, limit),
                ).fetchall()
            if not rows and system not in self.system_info():
                how = f"codelookup import {known.import_kind} FILE" if known.import_kind else "a newer catalogue"
                raise NotFoundError(f"{system} is not in the catalogue", hint=f"import it first: {how}")
            return system, [CodeRef(c, s, t, "", bool(b)) for c, s, t, b in rows]
        rows_found = self.details.find(name)
        if not rows_found:
            raise self.details.not_found(name)
        row = rows_found[0]
        refs = self._descendants(row, limit) if all_below else [k.ref() for k in self.details.children(row, limit)]
        return f"{row.system} {row.code}: {row.title}", refs

    def _browse_ccsr(self, name: str, limit: int) -> tuple[str, list[CodeRef]] | None:
        """AHRQ CCSR categories (``CCSR``) or one category's ICD-10-CM codes (``CIR007``)."""
        import re

        upper = name.upper()
        if upper == "CCSR":
            counts: dict[str, list[str]] = {}
            for code, data in self.con.execute(
                "SELECT code, data FROM rec WHERE system='ICD-10-CM' AND data LIKE '%\"ccsr\":%' ORDER BY id"
            ):
                found = re.search(r'"ccsr":"([A-Z]{3}[0-9]{3})"', data)
                if found:
                    counts.setdefault(found.group(1), []).append(code)
            refs = []
            for cat, codes in sorted(counts.items()):
                plural = "" if len(codes) == 1 else "s"
                refs.append(CodeRef(cat, "CCSR", f"{len(codes):,} ICD-10-CM code{plural}, e.g. {codes[0]}", "", None))
            return f"AHRQ CCSR categories ({self._ccsr_version()})", refs[:limit]
        if not re.fullmatch(r"[A-Z]{3}[0-9]{3}", upper) or self.details.find(name):
            return None
        rows = self.con.execute(
            "SELECT code, system, title, billable FROM rec WHERE system='ICD-10-CM' AND data LIKE ? "
            "ORDER BY id LIMIT ?",
            (f'%"ccsr":"{upper}"%', limit),
        ).fetchall()
        if not rows:
            raise NotFoundError(f"no CCSR category {upper!r}", hint="codelookup browse CCSR lists them")
        return f"CCSR {upper} ({self._ccsr_version()})", [CodeRef(c, s, t, "", bool(b)) for c, s, t, b in rows]

    def _ccsr_version(self) -> str:
        import json

        systems: dict[str, Any] = json.loads(self.meta("systems") or "{}")
        version = ((systems.get("ICD-10-CM") or {}).get("ccsr") or {}).get("version", "")
        return f"AHRQ CCSR {version}, default category" if version else "AHRQ CCSR"

    def _descendants(self, row: Row, limit: int) -> list[CodeRef]:
        out: list[CodeRef] = []
        stack = [row]
        while stack and len(out) < limit:
            cur = stack.pop()
            kids = self.details.children(cur)
            out.extend(k.ref() for k in kids)
            stack.extend(reversed(kids))
        # children were appended breadth-first per node; order by catalogue position instead
        ids = {r.code: i for i, r in enumerate(out)}
        return sorted(out, key=lambda r: ids[r.code])[:limit]

    def system_info(self) -> dict[str, SystemInfo]:
        import json

        systems: dict[str, Any] = json.loads(self.meta("systems") or "{}")
        out: dict[str, SystemInfo] = {}
        for name in registry.names():
            prov = systems.get(name)
            if not prov or not prov.get("records"):
                continue
            out[name] = SystemInfo(
                name=name,
                release=str(prov.get("release", "")),
                source=str(prov.get("source", "")),
                licence=str(prov.get("licence", "")),
                records=int(prov.get("records", 0)),
                billable=int(prov.get("billable", 0)),
                origin=str(prov.get("origin", "bundled")),
                source_file=str(prov.get("source_file", "")),
                publisher=str(prov.get("publisher", "")),
                notes=str(prov.get("notes", "")),
            )
        return out


_default: Library | None = None


def _lib() -> Library:
    global _default
    if _default is None:
        _default = Library()
    return _default


# The module-level functions are the default Library's methods: same arguments, same results.
def search(
    query: str,
    *,
    systems: Sequence[str] | None = None,
    billable_only: bool = False,
    limit: int = 10,
) -> SearchResult:
    """Ranked search hits for ``query``: a sequence of SearchHit, empty when nothing matches."""
    return _lib().search(query, systems=systems, billable_only=billable_only, limit=limit)


def lookup(code: str, *, system: str | None = None) -> CodeDetail:
    """The detail page of one code; raises NotFoundError with suggestions if unknown."""
    return _lib().lookup(code, system=system)


def browse(target: str | None = None, *, all_below: bool = False) -> list[CodeRef]:
    """A system's top level or a code's children (``Library.browse`` without its heading)."""
    return _lib().browse(target, all_below=all_below)[1]


def systems() -> list[SystemInfo]:
    """Provenance and counts of each code system in the catalogue, in display order."""
    return list(_lib().system_info().values())
