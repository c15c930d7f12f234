"""Domain objects shared by the library, the renderers and the CLI.

They are immutable value objects (equality by fields, hashable, no attribute assignment), like
frozen dataclasses. They are written out instead of using ``dataclasses`` because that module
imports ``inspect``, and on a cold start of ``codelookup search`` that import alone cost more
than the search itself (see the Performance section of the README).
"""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - typing costs import time and is only for the checker
    from typing import Any

_EMPTY: Mapping[str, Any] = {}


class Frozen:
    """Base for immutable value objects declared with ``__slots__``."""

    __slots__: tuple[str, ...] = ()

    def _init(self, **values: Any) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, values[name])

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Frozen) and type(other) is type(self) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(tuple(v if not isinstance(v, Mapping) else id(v) for v in self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class SystemInfo(Frozen):
    """Provenance of one code system as shipped or imported."""

    __slots__ = (
        "billable",
        "licence",
        "name",
        "notes",
        "origin",
        "publisher",
        "records",
        "release",
        "source",
        "source_file",
    )  # fmt: skip
    name: str
    release: str
    source: str
    licence: str
    records: int
    billable: int
    origin: str  # "bundled", "imported" or "bundled + imported"
    source_file: str
    publisher: str
    notes: str

    def __init__(
        self,
        name: str,
        release: str,
        source: str,
        licence: str,
        records: int,
        billable: int,
        origin: str = "bundled",
        source_file: str = "",
        publisher: str = "",
        notes: str = "",
    ) -> None:
        self._init(name=name, release=release, source=source, licence=licence, records=records,
                   billable=billable, origin=origin, source_file=source_file, publisher=publisher,
                   notes=notes)  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "release": self.release,
            "source": self.source,
            "source_file": self.source_file,
            "publisher": self.publisher,
            "licence": self.licence,
            "origin": self.origin,
            "records": self.records,
            "billable": self.billable,
            "notes": self.notes,
        }


class SearchHit(Frozen):
    """One ranked search result."""

    __slots__ = ("billable", "code", "match", "path", "score", "system", "title")
    code: str
    system: str
    title: str
    billable: bool
    score: float
    match: str  # exact-code | code-prefix | title | synonym | fuzzy | index
    path: str  # found through an index: the path that leads here ("Pheochromocytoma, … → D35.00")

    def __init__(
        self, code: str, system: str, title: str, billable: bool, score: float, match: str, path: str = ""
    ) -> None:
        self._init(code=code, system=system, title=title, billable=billable, score=score, match=match, path=path)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "system": self.system,
            "title": self.title,
            "billable": self.billable,
            "score": round(self.score, 4),
            "match": self.match,
        }
        if self.path:
            out["path"] = self.path
        return out


class CodeRef(Frozen):
    """A pointer to another code, with a one-line reason (children, similar codes, breadcrumb)."""

    __slots__ = ("billable", "code", "reason", "system", "title")
    code: str
    system: str
    title: str
    reason: str
    billable: bool | None

    def __init__(self, code: str, system: str, title: str, reason: str = "", billable: bool | None = None) -> None:
        self._init(code=code, system=system, title=title, reason=reason, billable=billable)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "system": self.system, "title": self.title}
        if self.billable is not None:
            out["billable"] = self.billable
        if self.reason:
            out["reason"] = self.reason
        return out


class CodeRecord(Frozen):
    """A code as stored in the catalogue (plus fields the index derives)."""

    __slots__ = ("billable", "code", "extra", "kind", "parent", "sections", "system", "title")
    code: str
    system: str
    title: str
    billable: bool
    kind: str
    parent: str | None
    sections: Mapping[str, Any]
    extra: Mapping[str, Any]

    def __init__(
        self,
        code: str,
        system: str,
        title: str,
        billable: bool,
        kind: str,
        parent: str | None,
        sections: Mapping[str, Any] = _EMPTY,
        extra: Mapping[str, Any] = _EMPTY,
    ) -> None:
        self._init(code=code, system=system, title=title, billable=billable, kind=kind, parent=parent,
                   sections=sections, extra=extra)  # fmt: skip


class CodeDetail(Frozen):
    """Everything the detail view shows for one code: the record plus resolved context."""

    __slots__ = ("also_in", "billable_reason", "breadcrumb", "record", "release", "sections", "source")
    record: CodeRecord
    breadcrumb: tuple[CodeRef, ...]
    billable_reason: str
    sections: Mapping[str, Any]
    release: str
    source: str
    also_in: tuple[str, ...]  # other systems that have the same code string

    def __init__(
        self,
        record: CodeRecord,
        breadcrumb: tuple[CodeRef, ...],
        billable_reason: str,
        sections: Mapping[str, Any],
        release: str,
        source: str,
        also_in: tuple[str, ...] = (),
    ) -> None:
        self._init(record=record, breadcrumb=breadcrumb, billable_reason=billable_reason, sections=sections,
                   release=release, source=source, also_in=also_in)  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        rec = self.record
        out: dict[str, Any] = {
            "code": rec.code,
            "system": rec.system,
            "title": rec.title,
            "billable": rec.billable,
            "billable_reason": self.billable_reason,
            "kind": rec.kind,
            "parent": rec.parent,
            "hierarchy": [r.as_dict() for r in self.breadcrumb],
            "release": self.release,
            "source": self.source,
            "also_in": list(self.also_in),
            "sections": dict(self.sections),
        }
        for key, value in rec.extra.items():
            out.setdefault(key, value)
        return out
