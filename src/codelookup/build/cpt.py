"""Load the team's plain-language CPT pages (``content/cpt/*.toml``) as catalogue records.

These files are written by hand by several people, so every rule the loader and renderer rely on
is checked here, at build time, with an error that names the file and code to fix.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from codelookup.errors import CatalogueError
from codelookup.sections import BY_SLUG, PAGE_SLUGS, Shape

SYSTEM = "CPT"
MAX_TITLE = 90

# (first, last, heading). E/M sits inside Medicine's numeric range but is its own section, so it
# is matched first.
SECTION_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("99202", "99499", "Evaluation and Management"),
    ("00100", "01999", "Anesthesia"),
    ("10004", "69990", "Surgery"),
    ("70010", "79999", "Radiology"),
    ("80047", "89398", "Pathology and Laboratory"),
    ("90281", "99607", "Medicine"),
)

_CODE_RE = re.compile(r"^\d{5}$")
_AUTHORED_SLUGS = frozenset((*PAGE_SLUGS, "similar_codes"))
_FAMILY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _fail(path: Path, code: str | None, message: str) -> CatalogueError:
    where = f"{path.name} code {code}" if code else path.name
    return CatalogueError(f"CPT content {where}: {message}")


def group_of(code: str) -> tuple[str, str]:
    """Return (group code, heading) for a CPT code, e.g. ("10004-69990", "Surgery")."""
    for first, last, heading in SECTION_GROUPS:
        if first <= code <= last:
            return f"{first}-{last}", heading
    raise CatalogueError(f"CPT code {code} is outside every CPT section range")


def _is_code_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, dict)
        and set(v) == {"code", "reason"}
        and isinstance(v["code"], str)
        and isinstance(v["reason"], str)
        for v in value
    )


def _check_sections(
    path: Path, code: str, sections: Any, required: tuple[str, ...] = PAGE_SLUGS, what: str = ""
) -> dict[str, Any]:
    """Every required section present with the right shape; nothing else but similar_codes.

    ``required`` is the page's section list (all page sections for CPT; for HCPCS the list of the
    page's kind, ``sections.HCPCS_KINDS``), ``what`` names that kind in the error.
    """
    if not isinstance(sections, dict):
        raise _fail(path, code, "[codes.sections] is missing")
    missing = [slug for slug in required if slug not in sections]
    if missing:
        raise _fail(path, code, f"missing section(s) {', '.join(missing)}")
    allowed = frozenset((*required, "similar_codes"))
    for slug, value in sections.items():
        section = BY_SLUG.get(slug)
        if section is None or slug not in _AUTHORED_SLUGS:
            raise _fail(path, code, f"unknown section {slug!r}")
        if slug not in allowed:
            raise _fail(path, code, f"section {slug!r} does not apply to {what or 'this page'}; leave it out")
        if section.shape is Shape.TEXT:
            if not isinstance(value, str) or not value.strip():
                raise _fail(path, code, f"section {slug} must be non-empty text")
        elif section.shape in (Shape.BULLETS, Shape.STEPS):
            if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
                raise _fail(path, code, f"section {slug} must be a non-empty list of text")
        elif section.shape is Shape.CODES and not _is_code_list(value):
            raise _fail(path, code, f"section {slug} must be a list of {{code, reason}}")
    return {slug: sections[slug] for slug in sorted(sections)}


def _code_record(path: Path, family: str, entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise _fail(path, None, "every [[codes]] entry must be a table")
    code = entry.get("code")
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise _fail(path, str(code), "code must be a string of 5 digits")
    title = entry.get("title")
    if not isinstance(title, str) or not title.strip():
        raise _fail(path, code, "title is missing")
    if len(title) > MAX_TITLE:
        raise _fail(path, code, f"title is {len(title)} characters (max {MAX_TITLE})")
    keywords = entry.get("keywords")
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise _fail(path, code, "keywords must be a list of strings")
    unknown = set(entry) - {"code", "title", "keywords", "sections"}
    if unknown:
        raise _fail(path, code, f"unknown key(s) {', '.join(sorted(unknown))}")
    sections = _check_sections(path, code, entry.get("sections"))
    try:
        parent, _ = group_of(code)
    except CatalogueError as exc:
        raise _fail(path, code, "outside every CPT section range") from exc
    record: dict[str, Any] = {
        "code": code,
        "system": SYSTEM,
        "title": title.strip(),
        "billable": True,
        "kind": "code",
        "parent": parent,
        "family": family,
        "sections": sections,
    }
    terms = [k.strip() for k in keywords if k.strip()]
    if terms:
        record["terms"] = terms
    return record


def load_file(path: Path) -> list[dict[str, Any]]:
    """Parse and check one content file; return its code records."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _fail(path, None, f"cannot be read: {exc}") from exc
    family = data.get("family")
    if not isinstance(family, dict) or not isinstance(family.get("id"), str):
        raise _fail(path, None, "[family] with an id is required")
    family_id = family["id"]
    if not _FAMILY_RE.match(family_id):
        raise _fail(path, None, f"family id {family_id!r} must be a lowercase slug")
    if not isinstance(family.get("title"), str) or not family["title"].strip():
        raise _fail(path, None, "[family] title is required")
    codes = data.get("codes")
    if not isinstance(codes, list) or not codes:
        raise _fail(path, None, "at least one [[codes]] entry is required")
    return [_code_record(path, family_id, entry) for entry in codes]


def load_records(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Load every file, refuse duplicates, and return group and code records in order."""
    by_code: dict[str, tuple[Path, dict[str, Any]]] = {}
    families: dict[str, Path] = {}
    for path in sorted(paths):
        records = load_file(path)
        family = records[0]["family"]
        if family in families:
            raise _fail(path, None, f"family id {family!r} is also used in {families[family].name}")
        families[family] = path
        for record in records:
            code = record["code"]
            if code in by_code:
                other = by_code[code][0].name
                raise _fail(path, code, f"duplicate code (also in {other})")
            by_code[code] = (path, record)
    result: list[dict[str, Any]] = []
    groups = sorted(SECTION_GROUPS)
    for first, last, heading in groups:
        members = [by_code[c][1] for c in sorted(by_code) if group_of(c)[0] == f"{first}-{last}"]
        if not members:
            continue
        result.append(
            {
                "code": f"{first}-{last}",
                "system": SYSTEM,
                "title": heading,
                "billable": False,
                "kind": "section",
                "parent": None,
            }
        )
        result.extend(members)
    return result


def content_files(directory: Path) -> list[Path]:
    """The content files of a directory; none is a valid state while pages are being written."""
    return sorted(directory.glob("*.toml")) if directory.is_dir() else []
