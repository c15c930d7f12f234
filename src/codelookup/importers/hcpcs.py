"""CMS HCPCS Level II alpha-numeric file: fixed-width text, ``.xlsx`` or ``.csv``, or the quarterly zip.

The zip as CMS distributes it (``january-2026-alpha-numeric-hcpcs-file.zip``) is read in place:
its one ``HCPC<YYYY>_<MON>_ANWEB*.txt`` member is the fixed-width file below, so a user need not
unzip it first (the build reads the same zip the same way).

Fixed-width positions (1-based, inclusive) from the CMS "HCPCS Contractor Record" layout
(``HCPC<YYYY>_recordlayout.txt``, record length 320), of which we read:

====================  =========  ==============================================
field                 positions  use
====================  =========  ==============================================
HCPCS code            1-5        code; modifiers are 2 characters, space padded
sequence number       6-10       orders a code's description lines
record identifier     11         3 procedure, 4 its continuation,
                                 7 modifier, 8 its continuation
long description      12-91      joined across continuation lines -> title
short description     92-119     first lines only -> search term
code added date       269-276    YYYYMMDD
action effective date 277-284    YYYYMMDD
termination date      285-292    YYYYMMDD; before the file's period -> terminated
action code           293        A, B, C, D, F, N, P, R, S, T
====================  =========  ==============================================

The billing fields (pricing, coverage, BETOS, type of service, ... positions 120-268) are read
from a fixed-width file with the reader the build uses (``codelookup.hcpcs_record.detail_fields``) so
`show` explains them as it does for the bundled release; the .xlsx/.csv forms carry only the
columns below. The ``.xlsx``/``.csv`` forms carry the same fields as
named columns (HCPC, SEQNUM, RECID, LONG DESCRIPTION, SHORT DESCRIPTION, ADD DT, ACT EFF DT,
TERM DT, ACTION CD); only HCPC, RECID and LONG DESCRIPTION are required.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from codelookup.hcpcs_record import detail_fields, range_of
from codelookup.importers._common import Layer, ParsedRelease, Ticker, fail, read_text

# Fields detail_fields also returns that this importer already records under its own names.
_SAME_AS_ABOVE = frozenset({"short_description", "added", "action_date", "termination_date", "action_code"})

SYSTEM = "HCPCS"
MODIFIER_GROUP = "MODIFIERS"

# Our own short names for the letter ranges (HCPCS Level II is grouped by first letter).
RANGE_TITLES: dict[str, str] = {
    "A": "Transportation, medical and surgical supplies, miscellaneous",
    "B": "Enteral and parenteral therapy",
    "C": "Outpatient prospective payment system (temporary hospital codes)",
    "D": "Dental procedures",
    "E": "Durable medical equipment",
    "G": "Procedures and professional services (temporary)",
    "H": "Behavioral health and substance abuse treatment",
    "J": "Drugs administered other than oral method, chemotherapy drugs",
    "K": "Temporary codes for durable medical equipment",
    "L": "Orthotics and prosthetics",
    "M": "Other medical services and quality measures",
    "P": "Pathology and laboratory",
    "Q": "Temporary codes",
    "R": "Diagnostic radiology services",
    "S": "Temporary national codes (non-Medicare)",
    "T": "State Medicaid agency codes",
    "U": "Coronavirus diagnostic panel tests",
    "V": "Vision, hearing and speech-language pathology services",
}
MODIFIER_TITLE = "HCPCS Level II modifiers"

FIRST_LINE = {"3": "code", "7": "modifier"}
CONTINUES = {"4": "3", "8": "7"}
PROCEDURE_RE = re.compile(r"[A-Z][0-9]{4}")
MODIFIER_RE = re.compile(r"[A-Z0-9]{2}")
MONTHS = {
    m: i
    for i, m in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
FILE_PERIOD_RE = re.compile(r"HCPC(\d{4})_([A-Z]{3})", re.IGNORECASE)

# Normalised column name (upper case, letters and digits only) -> our field.
COLUMNS: dict[str, str] = {
    "HCPC": "code",
    "HCPCS": "code",
    "HCPCSCODE": "code",
    "HCPCSCD": "code",
    "SEQNUM": "seq",
    "SEQ": "seq",
    "SEQUENCENUMBER": "seq",
    "RECID": "recid",
    "RECORDID": "recid",
    "LONGDESCRIPTION": "long",
    "LONGDESC": "long",
    "SHORTDESCRIPTION": "short",
    "SHORTDESC": "short",
    "ADDDT": "add",
    "ADDDATE": "add",
    "ACTEFFDT": "eff",
    "ACTIONEFFECTIVEDATE": "eff",
    "EFFDT": "eff",
    "TERMDT": "term",
    "TERMINATIONDATE": "term",
    "ACTIONCD": "action",
    "ACTIONCODE": "action",
    "ACTCD": "action",
}
REQUIRED = ("code", "recid", "long")
MIN_FIRST_LINE = 293  # a first line must reach the action code; shorter means truncated


@dataclass
class Row:
    """One description line of the release, whatever form it came in."""

    line: int
    code: str
    seq: str
    recid: str
    long: str
    short: str = ""
    add: str = ""
    eff: str = ""
    term: str = ""
    action: str = ""
    raw: str = ""  # the whole fixed-width line, for the billing fields (positions 120-268)


@dataclass
class _Entry:
    first: Row
    parts: list[str] = field(default_factory=list)
    last_seq: int = -1


def range_code(letter: str) -> str:
    """A letter group's code, written as a range like the catalogue's other section records."""
    return f"{letter}0000-{letter}9999"


def file_period(path: Path) -> date | None:
    """The quarter a CMS file is for, from its name (``HCPC2025_JUL_ANWEB``)."""
    match = FILE_PERIOD_RE.search(path.name)
    if not match or match.group(2).upper() not in MONTHS:
        return None
    return date(int(match.group(1)), MONTHS[match.group(2).upper()], 1)


# --- readers ---------------------------------------------------------------------------------


def rows_fixed_width(path: Path, ticker: Ticker, text: str | None = None) -> Iterator[Row]:
    """Rows of the fixed-width file at ``path`` (or of ``text``, a zip member already read)."""
    if text is None:
        text = read_text(path)
    lines = text.splitlines()
    ticker.total = max(len(lines), 1)
    for number, raw in enumerate(lines, start=1):
        ticker(number)
        if not raw.strip():
            continue
        if len(raw) < 12:
            raise fail(path, number, f"truncated line ({len(raw)} characters)")
        recid = raw[10]
        if recid in FIRST_LINE and len(raw.rstrip()) < MIN_FIRST_LINE:
            raise fail(
                path,
                number,
                f"truncated line: a record {recid} line must reach column {MIN_FIRST_LINE} "
                f"(action code) but has {len(raw.rstrip())} characters",
            )
        yield Row(
            line=number,
            code=raw[0:5],
            seq=raw[5:10],
            recid=recid,
            long=raw[11:91],
            short=raw[91:119],
            add=raw[268:276],
            eff=raw[276:284],
            term=raw[284:292],
            action=raw[292:293],
            raw=raw,
        )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y%m%d")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _mapping(path: Path, header: list[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = re.sub(r"[^A-Z0-9]", "", _cell(name).upper())
        target = COLUMNS.get(key)
        if target and target not in found:
            found[target] = index
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        names = {"code": "HCPC", "recid": "RECID", "long": "LONG DESCRIPTION"}
        raise fail(path, 1, "header row lacks column(s) " + ", ".join(names[m] for m in missing))
    return found


def _rows_from_table(path: Path, table: Iterator[list[Any]], ticker: Ticker) -> Iterator[Row]:
    try:
        header = next(table)
    except StopIteration:
        raise fail(path, 1, "file is empty") from None
    cols = _mapping(path, header)
    layout = _layout_columns(header)
    for number, values in enumerate(table, start=2):
        ticker(number)
        cells = [_cell(v) for v in values]
        if not any(c.strip() for c in cells):
            continue

        def get(name: str, cells: list[str] = cells) -> str:
            index = cols.get(name)
            return cells[index] if index is not None and index < len(cells) else ""

        yield Row(
            line=number,
            code=get("code"),
            seq=get("seq") or str(number),
            recid=get("recid"),
            long=get("long"),
            short=get("short"),
            add=get("add"),
            eff=get("eff"),
            term=get("term"),
            action=get("action"),
            raw=_fixed_width(layout, cells) if layout else "",
        )


# The workbook's columns in the fixed-width record's order, with their widths (CMS names them
# after the layout's fields), so a row can be laid out as the fixed-width line it stands for.
LAYOUT_COLUMNS: tuple[tuple[str, int], ...] = (
    ("HCPC", 5), ("SEQNUM", 5), ("RECID", 1), ("LONGDESCRIPTION", 80), ("SHORTDESCRIPTION", 28),
    ("PRICE1", 2), ("PRICE2", 2), ("PRICE3", 2), ("PRICE4", 2), ("MULTPI", 1),
    ("CIM1", 6), ("CIM2", 6), ("CIM3", 6), ("MCM1", 8), ("MCM2", 8), ("MCM3", 8), ("STATUTE", 10),
    *((f"LABCERT{i}", 3) for i in range(1, 9)), *((f"XREF{i}", 5) for i in range(1, 6)),
    ("COV", 1), ("ASCGRP", 2), ("ASCDT", 8), ("OPPS", 3), ("OPPSPI", 1), ("OPPSDT", 8), ("PROCNOTE", 4),
    ("BETOS", 3), ("", 1), *((f"TOS{i}", 1) for i in range(1, 6)), ("ANESTBU", 3),
    ("ADDDT", 8), ("ACTEFFDT", 8), ("TERMDT", 8), ("ACTIONCD", 1),
)  # fmt: skip


def _layout_columns(header: list[Any]) -> list[tuple[int | None, int]] | None:
    """Column index and width per layout field, when the sheet has the billing columns."""
    names = {re.sub(r"[^A-Z0-9]", "", _cell(h).upper()): i for i, h in enumerate(header)}
    if "PRICE1" not in names or "BETOS" not in names:
        return None
    return [(names.get(name) if name else None, width) for name, width in LAYOUT_COLUMNS]


def _fixed_width(layout: list[tuple[int | None, int]], cells: list[str]) -> str:
    parts = []
    for index, width in layout:
        value = cells[index] if index is not None and index < len(cells) else ""
        parts.append(value.strip().ljust(width)[:width])
    return "".join(parts)


def rows_csv(path: Path, ticker: Ticker) -> Iterator[Row]:
    text = read_text(path)
    ticker.total = max(text.count("\n"), 1)
    try:
        yield from _rows_from_table(path, iter(csv.reader(io.StringIO(text))), ticker)
    except csv.Error as exc:
        raise fail(path, None, f"not a valid CSV file ({exc})") from exc


def rows_xlsx(path: Path, ticker: Ticker) -> Iterator[Row]:
    """The workbook form, read with the standard library (no openpyxl needed)."""
    from codelookup.importers._xlsx import XlsxError, read_rows

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise fail(path, None, f"cannot be read ({exc.strerror or exc})") from exc
    ticker.total = max(size // 200, 1)  # about one row per 200 bytes of a CMS workbook
    try:
        yield from _rows_from_table(path, read_rows(path), ticker)
    except XlsxError as exc:
        raise fail(path, None, str(exc)) from None


# --- assembly --------------------------------------------------------------------------------


def _date(path: Path, row: Row, value: str, what: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if len(value) == 10 and value[4] == "-":  # already ISO (a CSV saved by a spreadsheet)
        value = value.replace("-", "")
    try:
        return datetime.strptime(value, "%Y%m%d").date().isoformat()
    except ValueError:
        raise fail(path, row.line, f"{what} {value!r} is not a YYYYMMDD date") from None


def _check_first(path: Path, row: Row) -> str:
    kind = FIRST_LINE[row.recid]
    pattern = PROCEDURE_RE if kind == "code" else MODIFIER_RE
    if not pattern.fullmatch(row.code):
        expected = "a letter and 4 digits" if kind == "code" else "2 letters or digits"
        raise fail(
            path,
            row.line,
            f"bad code {row.code!r} for record id {row.recid} (expected {expected})",
        )
    if not row.long.strip():
        raise fail(path, row.line, f"{row.code} has no long description")
    return kind


def _seq(path: Path, row: Row) -> int:
    try:
        return int(row.seq.strip())
    except ValueError:
        raise fail(path, row.line, f"sequence number {row.seq.strip()!r} is not a number") from None


def assemble(
    path: Path, rows: Iterator[Row], period: date | None
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Join description lines into records, validating order as CMS documents it."""
    entries: dict[str, _Entry] = {}
    current: _Entry | None = None
    for row in rows:
        row.code = row.code.strip().upper()
        row.recid = row.recid.strip()
        seq = _seq(path, row)
        if row.recid in FIRST_LINE:
            _check_first(path, row)
            if row.code in entries:
                raise fail(path, row.line, f"{row.code} appears twice as a first line")
            current = _Entry(first=row, parts=[row.long.strip()], last_seq=seq)
            entries[row.code] = current
        elif row.recid in CONTINUES:
            if current is None or current.first.code != row.code:
                raise fail(
                    path,
                    row.line,
                    f"continuation line for {row.code or '(blank)'} does not follow its first line",
                )
            if current.first.recid != CONTINUES[row.recid]:
                raise fail(
                    path,
                    row.line,
                    f"record id {row.recid} cannot continue a record id {current.first.recid}",
                )
            if seq <= current.last_seq:
                raise fail(
                    path,
                    row.line,
                    f"wrong sequence: {row.code} line {seq} after line {current.last_seq}",
                )
            current.last_seq = seq
            if row.long.strip():
                current.parts.append(row.long.strip())
        else:
            raise fail(path, row.line, f"bad record id {row.recid!r} (expected 3, 4, 7 or 8)")
    if not entries:
        raise fail(path, None, "no HCPCS records found")

    if period is None:  # no period in the name: the newest action date stands in for it
        dates = [
            _date(path, e.first, e.first.eff, "action effective date") for e in entries.values()
        ]
        known = [d for d in dates if d]
        period = date.fromisoformat(max(known)) if known else None

    codes: list[dict[str, Any]] = []
    by_range: dict[tuple[str, str, str], list[str]] = {}
    counts = {"codes": 0, "modifiers": 0, "terminated": 0, "groups": 0}
    for code, entry in entries.items():
        first = entry.first
        kind = FIRST_LINE[first.recid]
        title = " ".join(entry.parts)
        short = " ".join(first.short.split())
        term = _date(path, first, first.term, "termination date")
        terminated = bool(term and period and date.fromisoformat(term) < period)
        details = {
            "short_description": short or None,
            "action_code": first.action.strip() or None,
            "add_date": _date(path, first, first.add, "add date"),
            "effective_date": _date(path, first, first.eff, "action effective date"),
            "termination_date": term,
            "terminated": terminated,
        }
        if first.raw and first.recid in FIRST_LINE:
            # Pricing, coverage, BETOS, type of service, ... read as the bundled build reads them.
            details.update(
                {k: v for k, v in detail_fields(first.raw).items() if k not in _SAME_AS_ABOVE}
            )
        if kind == "code":
            # The bundled release's ranges (A0021-A0999, J9000-J9999, ...), named in
            # codelookup.hcpcs_record, so that an import keeps the hierarchy `browse` shows; a code
            # outside every named range falls back to its letter.
            named = range_of(code)
            letter_title = RANGE_TITLES.get(code[0], f"HCPCS Level II codes starting with {code[0]}")
            key = named or (range_code(code[0]), "", letter_title)
            by_range.setdefault(key, []).append(code)
            parent = key[0]  # replaced below by the span of the codes the file has
            counts["codes"] += 1
        else:
            parent = MODIFIER_GROUP
            counts["modifiers"] += 1
        counts["terminated"] += terminated
        rec: dict[str, Any] = {
            "code": code,
            "system": SYSTEM,
            "title": title,
            "billable": kind == "code" and not terminated,  # a terminated code is never billable
            "kind": kind,
            "parent": parent,
            "hcpcs": details,
        }
        if short and short.lower() != title.lower():
            rec["terms"] = [short]
        codes.append(rec)

    groups: list[dict[str, Any]] = []
    parents: dict[str, str] = {}
    for (_, last, title), members in sorted(by_range.items()):
        members.sort()
        group = f"{members[0]}-{members[-1]}" if last else range_code(members[0][0])
        parents.update(dict.fromkeys(members, group))
        groups.append(
            {"code": group, "system": SYSTEM, "title": title, "billable": False, "kind": "section", "parent": None}
        )
    for rec in codes:
        if rec["kind"] == "code":
            rec["parent"] = parents[rec["code"]]
    if counts["modifiers"]:
        groups.append(
            {
                "code": MODIFIER_GROUP,
                "system": SYSTEM,
                "title": MODIFIER_TITLE,
                "billable": False,
                "kind": "section",
                "parent": None,
            }
        )
    counts["groups"] = len(groups)
    return groups + codes, counts


_ZIP_DATA_RE = re.compile(r"HCPC\d{4}_[A-Z]{3}_ANWEB[^/]*\.txt$", re.IGNORECASE)


def zip_member(path: Path) -> tuple[str, str]:
    """The name and text of the fixed-width data file inside a CMS quarterly zip."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = [n for n in zf.namelist() if _ZIP_DATA_RE.search(n)]
            if len(members) != 1:
                found = ", ".join(members) if members else "none"
                raise fail(
                    path,
                    None,
                    f"a zip, but not a CMS HCPCS quarterly zip: expected one HCPC<YYYY>_<MON>_ANWEB .txt "
                    f"file inside, found {found}",
                )
            raw = zf.read(members[0])
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        raise fail(path, None, f"not a readable zip archive ({exc})") from exc
    try:
        return members[0], raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return members[0], raw.decode("cp1252", errors="replace")


def parse(path: Path, ticker: Ticker) -> tuple[list[dict[str, Any]], dict[str, int], str | None]:
    """Read any supported form; returns records, counts and a release label if one is known."""
    suffix = path.suffix.lower()
    period_from = path
    if suffix == ".xlsx":
        rows = rows_xlsx(path, ticker)
    elif suffix == ".csv":
        rows = rows_csv(path, ticker)
    elif suffix == ".zip" or zipfile.is_zipfile(path):
        member, text = zip_member(path)
        rows = rows_fixed_width(path, ticker, text)
        period_from = Path(member)
    else:
        rows = rows_fixed_width(path, ticker)
    period = file_period(period_from) or file_period(path)
    records, counts = assemble(path, rows, period)
    release = period.strftime("%Y %B") if period else None
    return records, counts, release


def parse_release(path: Path, ticker: Ticker, previous: Callable[[], Layer | None]) -> ParsedRelease:
    """The :class:`~codelookup.importers._common.Importer` entry point."""
    records, counts, release = parse(path, ticker)
    notes = "Terminated codes are kept and flagged in the record's hcpcs.terminated field."
    return ParsedRelease(records, counts, release, notes)
