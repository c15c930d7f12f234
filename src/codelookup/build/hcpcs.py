"""HCPCS Level II from CMS's quarterly alpha-numeric zip, read in place (never unpacked or edited).

The zip holds the fixed-width file (``HCPC<YYYY>_<MON>_ANWEB*.txt``), its record layout
(``HCPC<YYYY>_recordlayout.txt``) and the processing notes (``proc_notes_<MON><YYYY>.txt``). The
positions below are the layout's (1-based, inclusive; "x4" = the field repeats); the build keeps
every field a biller reads, raw, under the record's ``hcpcs`` key, and ``codelookup.hcpcs_fields``
explains each value in plain words at show time (so an imported release is explained the same way).

=============================  ==========  =========================================
field (layout number)          positions   kept as
=============================  ==========  =========================================
code (1) / modifier (4)        1-5 / 4-5   ``code``
sequence number (5)            6-10        orders description lines
record id (6)                  11          3/4 procedure, 7/8 modifier (4/8 continue)
long description (7)           12-91       joined across continuation lines -> title
short description (8)          92-119      ``short_description`` (also a search term)
pricing indicator (9)          120-127 x4  ``pricing``
multiple pricing (10)          128         ``multiple_pricing``
coverage issues manual (11)    129-146 x3  ``cim``
carriers manual (12)           147-170 x3  ``mcm``
statute (13)                   171-180     ``statute``
lab certification (14)         181-204 x8  ``lab_certification``
cross-reference (15)           205-229 x5  ``cross_reference``
coverage code (16)             230         ``coverage``
ASC payment group (17, 18)     231-240     ``asc_group``, ``asc_date``
processing note (22)           253-256     ``processing_note`` (+ its text)
BETOS (23)                     257-259     ``betos``
type of service (25)           261-265 x5  ``type_of_service``
anesthesia base units (26)     266-268     ``anesthesia_base_units``
added / action / termination   269-292     ``added``, ``action_date``, ``termination_date``
action code (30)               293         ``action_code``
=============================  ==========  =========================================

The MOG fields (19-21) are empty in every 2026 record and are not kept.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from codelookup.errors import CatalogueError
from codelookup.hcpcs_record import RANGES, RECORD_LENGTH, detail_fields

SYSTEM = "HCPCS"
MODIFIER_GROUP = "MODIFIERS"
MODIFIER_TITLE = "HCPCS Level II modifiers"

# The ranges and their names live with the record reader so that `import hcpcs` groups alike.

FIRST_LINE = {"3": "code", "7": "modifier"}
CONTINUES = {"4": "3", "8": "7"}
_CODE_RE = re.compile(r"[A-Z][0-9]{4}")
_MODIFIER_RE = re.compile(r"[A-Z0-9]{2}")
_DATA_RE = re.compile(r"HCPC(\d{4})_([A-Z]{3})_ANWEB[^/]*\.txt$", re.IGNORECASE)
_LAYOUT_RE = re.compile(r"HCPC\d{4}_recordlayout\.txt$", re.IGNORECASE)
_NOTES_RE = re.compile(r"proc_notes[^/]*\.txt$", re.IGNORECASE)
_NOTE_START = re.compile(r"^\s*(\d{4})--(.*)$")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


class Release:
    """The members of one CMS quarterly zip that the build reads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                data = [n for n in names if _DATA_RE.search(n)]
                if len(data) != 1:
                    raise CatalogueError(f"{path}: expected one HCPC<YYYY>_<MON>_ANWEB .txt member, found {data}")
                self.data_name = data[0]
                self.text = zf.read(self.data_name).decode("latin-1")
                notes = [n for n in names if _NOTES_RE.search(n)]
                self.notes_text = zf.read(notes[0]).decode("latin-1") if notes else ""
                layout = [n for n in names if _LAYOUT_RE.search(n)]
                self.layout_text = zf.read(layout[0]).decode("latin-1") if layout else ""
        except (OSError, zipfile.BadZipFile, KeyError) as exc:
            raise CatalogueError(f"cannot read the HCPCS release {path}: {exc}") from exc
        match = _DATA_RE.search(self.data_name)
        assert match is not None
        self.year = int(match.group(1))
        self.month = MONTHS.index(match.group(2).upper()) + 1
        if self.layout_text and f"{RECORD_LENGTH}      1    {RECORD_LENGTH}" not in self.layout_text:
            raise CatalogueError(f"{path}: the record layout no longer says {RECORD_LENGTH}-character records")

    @property
    def period(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def label(self) -> str:
        """'HCPCS Level II, January 2026'."""
        return f"HCPCS Level II, {self.period.strftime('%B %Y')}"


def parse_notes(text: str) -> dict[str, str]:
    """Processing notes: '0002--THESE CODES ...' lines with continuations, '*' margins removed."""
    notes: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.replace("\t", " ").rstrip().rstrip("*").rstrip()
        match = _NOTE_START.match(line)
        if match:
            current = notes.setdefault(match.group(1), [])
            current.append(match.group(2).strip())
        elif current is not None and line.strip() and not line.strip().startswith("_"):
            current.append(line.strip())
        elif not line.strip():
            current = None  # a blank (or '*'-only) line ends a note
    return {number: " ".join(" ".join(parts).split()) for number, parts in notes.items()}


def parse_lines(lines: Iterable[str]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(code, kind, long description, fields) per code or modifier, in file order."""
    out: list[tuple[str, str, str, dict[str, Any]]] = []
    current: tuple[str, str, list[str], dict[str, Any]] | None = None
    last_seq = -1
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        recid = raw[10:11]
        seq = int(raw[5:10])
        code = raw[0:5].strip()
        if recid in FIRST_LINE:
            kind = FIRST_LINE[recid]
            if not (_CODE_RE if kind == "code" else _MODIFIER_RE).fullmatch(code):
                raise CatalogueError(f"HCPCS line {number}: bad {kind} {code!r}")
            current = (code, kind, [raw[11:91].strip()], detail_fields(raw))
            out.append((code, kind, "", current[3]))
            last_seq = seq
        elif recid in CONTINUES:
            if current is None or current[0] != code or seq <= last_seq:
                raise CatalogueError(f"HCPCS line {number}: continuation of {code!r} out of order")
            current[2].append(raw[11:91].strip())
            last_seq = seq
        else:
            raise CatalogueError(f"HCPCS line {number}: unknown record id {recid!r}")
        if current is not None:
            out[-1] = (current[0], current[1], " ".join(p for p in current[2] if p), current[3])
    return out


def range_of(code: str) -> tuple[str, str, str]:
    for first, last, title in RANGES:
        if first <= code <= last:
            return first, last, title
    raise CatalogueError(f"HCPCS code {code} is outside every known range")


def is_terminated(fields: dict[str, Any], period: date) -> bool:
    """A code whose last valid day is before the release's first day."""
    term = fields.get("termination_date")
    return bool(term) and date.fromisoformat(str(term)) < period


def build_records(
    entries: Sequence[tuple[str, str, str, dict[str, Any]]], notes: dict[str, str], period: date
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Group records (one per range that has codes, then modifiers) each followed by its codes."""
    by_range: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    modifiers: list[dict[str, Any]] = []
    counts = {"codes": 0, "modifiers": 0, "terminated": 0, "billable": 0}
    for code, kind, title, fields in sorted(entries, key=lambda e: (e[1] != "code", e[0])):
        fields = dict(fields)
        note = fields.get("processing_note")
        if note and note in notes:
            fields["processing_note_text"] = notes[note]
        terminated = is_terminated(fields, period)
        rec: dict[str, Any] = {
            "code": code,
            "system": SYSTEM,
            "title": title,
            "billable": kind == "code" and not terminated,
            "kind": kind,
            "parent": None,
            "hcpcs": fields,
        }
        if terminated:
            rec["status"] = "terminated"
        # The short description is not made a search term: CMS abbreviates and misspells in it
        # ("Replacment pt electronic sys"), and such words would stop typo correction of queries.
        counts["terminated"] += terminated
        if kind == "code":
            counts["codes"] += 1
            counts["billable"] += rec["billable"]
            by_range.setdefault(range_of(code), []).append(rec)
        else:
            counts["modifiers"] += 1
            rec["parent"] = MODIFIER_GROUP
            modifiers.append(rec)
    records: list[dict[str, Any]] = []
    for (_, _, title), members in sorted(by_range.items()):
        group = f"{members[0]['code']}-{members[-1]['code']}"
        records.append(_group(group, title))
        for rec in members:
            rec["parent"] = group
        records.extend(members)
    if modifiers:
        records.append(_group(MODIFIER_GROUP, MODIFIER_TITLE))
        records.extend(modifiers)
    counts["groups"] = len(by_range) + bool(modifiers)
    return records, counts


def _group(code: str, title: str) -> dict[str, Any]:
    return {"code": code, "system": SYSTEM, "title": title, "billable": False, "kind": "section", "parent": None}


def load_release(path: Path) -> tuple[Release, list[dict[str, Any]], dict[str, int]]:
    """Read a CMS quarterly zip into catalogue records."""
    release = Release(path)
    entries = parse_lines(release.text.splitlines())
    records, counts = build_records(entries, parse_notes(release.notes_text), release.period)
    return release, records, counts


# --- plain-language pages (content/hcpcs/*.toml) ---------------------------------------------

_PAGE_KEYS = frozenset({"code", "title", "keywords", "sections"})
_FAMILY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_PAGE_TITLE = 90


def _page_fail(path: Path, code: str | None, message: str) -> CatalogueError:
    where = f"{path.name} code {code}" if code else path.name
    return CatalogueError(f"HCPCS content {where}: {message}")


def load_pages(paths: Iterable[Path]) -> list[tuple[Path, str, str, dict[str, Any]]]:
    """(file, family id, kind, entry) for every page, checked against content/hcpcs/README.md."""
    import tomllib

    from codelookup.build.cpt import _check_sections
    from codelookup.sections import HCPCS_KINDS

    out: list[tuple[Path, str, str, dict[str, Any]]] = []
    families: dict[str, Path] = {}
    for path in sorted(paths):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise _page_fail(path, None, f"cannot be read: {exc}") from exc
        family = data.get("family")
        if not isinstance(family, dict) or not isinstance(family.get("id"), str):
            raise _page_fail(path, None, "[family] with an id is required")
        fid, kind = family["id"], family.get("kind")
        if not _FAMILY_RE.match(fid):
            raise _page_fail(path, None, f"family id {fid!r} must be a lowercase slug")
        if fid in families:
            raise _page_fail(path, None, f"family id {fid!r} is also used in {families[fid].name}")
        families[fid] = path
        if not isinstance(family.get("title"), str) or not family["title"].strip():
            raise _page_fail(path, None, "[family] title is required")
        if kind not in HCPCS_KINDS:
            raise _page_fail(path, None, f"[family] kind must be one of {', '.join(HCPCS_KINDS)} (got {kind!r})")
        codes = data.get("codes")
        if not isinstance(codes, list) or not codes:
            raise _page_fail(path, None, "at least one [[codes]] entry is required")
        for entry in codes:
            code = entry.get("code") if isinstance(entry, dict) else None
            if not isinstance(code, str) or not _CODE_RE.fullmatch(code):
                raise _page_fail(path, str(code), "code must be a letter and 4 digits")
            unknown = set(entry) - _PAGE_KEYS
            if unknown:
                raise _page_fail(path, code, f"unknown key(s) {', '.join(sorted(unknown))}")
            title = entry.get("title")
            if not isinstance(title, str) or not title.strip() or len(title) > MAX_PAGE_TITLE:
                raise _page_fail(path, code, f"title is required, at most {MAX_PAGE_TITLE} characters")
            keywords = entry.get("keywords")
            if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
                raise _page_fail(path, code, "keywords must be a list of strings")
            try:
                sections = _check_sections(path, code, entry.get("sections"), HCPCS_KINDS[kind], f"kind {kind!r}")
            except CatalogueError as exc:
                raise CatalogueError(exc.message.replace("CPT content", "HCPCS content", 1)) from exc
            out.append((path, fid, kind, {**entry, "sections": sections}))
    return out


def attach_pages(records: list[dict[str, Any]], content_dir: Path, page_codes: frozenset[str] = frozenset()) -> int:
    """Add our plain-language pages to the bundled records; the CMS title stays the title.

    The page's everyday name and keywords become search terms, its sections the page; every
    page must name a current code of the release, and its similar codes must exist in it or be
    one of ``page_codes`` (codes of other systems that have written pages, e.g. CPT).
    """
    paths = sorted(content_dir.glob("*.toml")) if content_dir.is_dir() else []
    if not paths:
        return 0
    by_code = {r["code"]: r for r in records if r["kind"] in ("code", "modifier")}
    attached: dict[str, Path] = {}
    for path, family, kind, entry in load_pages(paths):
        code = entry["code"]
        rec = by_code.get(code)
        if rec is None or rec["kind"] != "code":
            raise _page_fail(path, code, "is not a code of the bundled HCPCS release")
        if rec.get("status") == "terminated":
            raise _page_fail(path, code, "is terminated in the bundled release; write pages for current codes")
        if code in attached:
            raise _page_fail(path, code, f"duplicate page (also in {attached[code].name})")
        attached[code] = path
        for item in entry["sections"].get("similar_codes", []):
            if item["code"] not in by_code and item["code"] not in page_codes:
                raise _page_fail(
                    path,
                    code,
                    f"similar code {item['code']} is neither in the bundled HCPCS release nor a written page",
                )
        terms = list(rec.get("terms", []))
        for term in [entry["title"].strip(), *(k.strip() for k in entry["keywords"])]:
            if term and term not in terms:
                terms.append(term)
        rec["terms"] = terms
        rec["sections"] = entry["sections"]
        rec["family"] = family
        rec["page_kind"] = kind
    return len(attached)
