"""Domain objects shared by the library, the renderers and the CLI.

They are frozen so that results can be cached, hashed and handed to renderers without anyone
mutating them behind the caller's back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SYSTEMS: tuple[str, ...] = ("ICD-10-CM", "ICD-10-PCS", "CPT", "HCPCS")


@dataclass(frozen=True)
class SystemInfo:
    """Provenance of one code system as shipped or imported."""

    name: str
    release: str
    source: str
    licence: str
    records: int
    billable: int
    origin: str = "bundled"  # "bundled" or "imported"
    source_file: str = ""
    publisher: str = ""
    notes: str = ""

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


@dataclass(frozen=True)
class SearchHit:
    """One ranked search result."""

    code: str
    system: str
    title: str
    billable: bool
    score: float
    match: str  # exact-code | code-prefix | title | synonym | fuzzy

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "system": self.system,
            "title": self.title,
            "billable": self.billable,
            "score": round(self.score, 4),
            "match": self.match,
        }


@dataclass(frozen=True)
class CodeRef:
    """A pointer to another code, with a one-line reason (children, similar codes, breadcrumb)."""

    code: str
    system: str
    title: str
    reason: str = ""
    billable: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "system": self.system, "title": self.title}
        if self.billable is not None:
            out["billable"] = self.billable
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class CodeRecord:
    """A code as stored in the catalogue (plus fields the index derives)."""

    code: str
    system: str
    title: str
    billable: bool
    kind: str
    parent: str | None
    sections: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CodeDetail:
    """Everything the detail view shows for one code: the record plus resolved context."""

    record: CodeRecord
    breadcrumb: tuple[CodeRef, ...]
    billable_reason: str
    sections: Mapping[str, Any]
    release: str
    source: str
    also_in: tuple[str, ...] = ()  # other systems that have the same code string

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
