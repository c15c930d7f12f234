"""Checks the build runs before writing: a catalogue that fails one is never written.

The loader trusts the file (it only verifies the checksum), so structural mistakes must be caught
here: dangling parents, duplicate codes, billable group records, and counts that drift from the
official release figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from codelookup.errors import CatalogueError
from codelookup.systems import registry

ALWAYS = ("code", "system", "title", "billable", "kind", "parent")


def kinds_of(system: str) -> frozenset[str]:
    """Record kinds the registry allows for ``system`` (none for an unknown system)."""
    known = registry.get(system)
    return frozenset(known.kinds) if known is not None else frozenset()


# A non-billable record of these kinds with nothing below it would be a dead end for users
# (CM blocks are exempt: the tabular has 12 empty heading blocks such as C00-C96).
_MUST_HAVE_CHILDREN = frozenset({"category", "subcategory", "body_system", "table"})


def validate_records(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return every problem found (empty when the records are consistent)."""
    problems: list[str] = []
    seen: dict[str, set[str]] = {}
    has_children: dict[str, set[str]] = {}
    for rec in records:
        missing = [k for k in ALWAYS if k not in rec]
        if missing:
            problems.append(f"record {rec.get('code')!r} lacks {', '.join(missing)}")
            continue
        system, code, parent = rec["system"], rec["code"], rec["parent"]
        codes = seen.setdefault(system, set())
        if rec["kind"] not in kinds_of(system):
            problems.append(f"{system} {code}: unknown kind {rec['kind']!r}")
        if not isinstance(rec["title"], str) or not rec["title"]:
            problems.append(f"{system} {code}: empty title")
        if code in codes:
            problems.append(f"{system} {code}: duplicate code")
        if parent is not None:
            if parent not in codes:
                problems.append(f"{system} {code}: parent {parent} missing or after the child")
            has_children.setdefault(system, set()).add(parent)
        codes.add(code)
    for rec in records:
        with_children = has_children.get(rec.get("system", ""), set())
        if rec.get("billable") and rec.get("code") in with_children:
            problems.append(f"{rec['system']} {rec['code']}: billable but has children")
        elif (
            not rec.get("billable") and rec.get("kind") in _MUST_HAVE_CHILDREN and rec.get("code") not in with_children
        ):
            problems.append(f"{rec['system']} {rec['code']}: not billable and has no children")
    return problems


def check_counts(systems: Mapping[str, Mapping[str, Any]], expected: Mapping[str, Mapping[str, int]]) -> list[str]:
    """Compare published counts with the official release figures the build was told to hit."""
    problems: list[str] = []
    for system, wanted in expected.items():
        counts = systems.get(system, {}).get("counts", {})
        for key, value in wanted.items():
            if counts.get(key) != value:
                problems.append(f"{system} {key}: {counts.get(key)} (expected {value})")
    return problems


def ensure_valid(
    records: Sequence[Mapping[str, Any]],
    systems: Mapping[str, Mapping[str, Any]],
    expected: Mapping[str, Mapping[str, int]],
) -> None:
    problems = validate_records(records) + check_counts(systems, expected)
    if problems:
        shown = "; ".join(problems[:5])
        more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
        raise CatalogueError(f"catalogue validation failed, nothing written: {shown}{more}")
