"""ICD-10-CM notes as a coder reads them: every level, nested lead-ins, ranges expanded.

The tabular declares each note once, on the chapter, block, category, subcategory or code it
belongs to, and it applies to everything below. The page therefore gathers the notes of the code
and of every ancestor, keeps where each came from (``level`` and ``source``), nests the list that
follows a lead-in ("code to identify control using:" + its items), and resolves the codes a
note names, expanding ranges ("O10-O11, O13-O16") to every category or code they cover.

Claim context comes from fields the build stores on billable records (see
``codelookup.build.msdrg``): the MS-DRG v43 CC/MCC designation and CC exclusion collection.
"""

from __future__ import annotations

import json
import re
import sqlite3

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover - typing is for the checker only (import cost)
    from typing import Any

SYSTEM = "ICD-10-CM"
# Section slug -> whether it applies below the record that declares it. Inclusion terms are
# other names for that record's own title, so they stay with it.
NOTE_SECTIONS: dict[str, bool] = {
    "includes": True,
    "inclusion_terms": False,
    "excludes1": True,
    "excludes2": True,
    "code_first": True,
    "use_additional_code": True,
    "code_also": True,
    "notes": True,
}
_CODE = r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?"
# 'E10.-', 'O24.4-', 'P70.2', and ranges 'I10-I16', 'R07.1-R07.9', 'H92.0-' (a prefix, not a range)
_REF = re.compile(rf"\b({_CODE})(?:\.?-(?![A-Z][0-9]))?(?:-({_CODE}))?")
_MANIFESTATION = re.compile(r"\bin (?:other )?diseases classified elsewhere", re.IGNORECASE)
MCC_CC_MEANING = (
    "On a Medicare inpatient claim, a secondary diagnosis that is a CC (complication or comorbidity) "
    "or an MCC (major CC) can move the stay into a higher-weighted MS-DRG, unless the principal "
    "diagnosis is one of its CC exclusions; a non-CC does not change the MS-DRG."
)
MS_DRG_VERSION = "MS-DRG v43 (FY2026)"


def level_label(kind: str, code: str) -> str:
    """'from block E08-E13', 'from chapter 4': how the page names where a note comes from."""
    return f"{kind} {code}"


def nest(items: list[str]) -> list[dict[str, Any]]:
    """Group a lead-in ("... such as:", "... using:") with the notes that follow it.

    The XML lists a lead-in and its list as sibling notes; a lead-in is a note ending in ':',
    and its items run to the next lead-in or the end of the element (the tabular prints them
    indented under it).
    """
    out: list[dict[str, Any]] = []
    lead: dict[str, Any] | None = None
    for text in items:
        note: dict[str, Any] = {"text": text}
        if text.rstrip().endswith(":"):
            lead = note
            note["items"] = []
            out.append(note)
        elif lead is not None:
            lead["items"].append(note)
        else:
            out.append(note)
    for note in out:
        if "items" in note and not note["items"]:
            del note["items"]
    return out


CATEGORIES_SQL = (
    "SELECT code FROM rec WHERE system=? AND length(code)=3 AND parent IN (SELECT code FROM rec "
    "WHERE system=? AND parent IN (SELECT code FROM rec WHERE system=? AND parent IS NULL)) ORDER BY id"
)


def categories_blob(system: str) -> str:
    """The search index's blob holding a system's categories, one per line, in tabular order."""
    return f"categories:{system}"


class NoteResolver:
    """Resolves the codes and ranges named in notes against the index (memoised per page)."""

    def __init__(self, con: sqlite3.Connection, shared: dict[str, Any] | None = None, system: str = SYSTEM) -> None:
        self.con = con
        self.system = system
        self.shared = {} if shared is None else shared  # kept by the caller across pages
        self._exists: dict[str, str | None] = {}
        self._ranges: dict[tuple[str, str], list[str]] = {}

    def categories(self) -> list[str]:
        """Every category in tabular order: the children of blocks.

        The index build stores the list (:func:`categories_blob`); reading ~1,900 scattered rows
        through the parent index instead cost a cold ``show`` about 4 ms.
        """
        if "categories" not in self.shared:
            row = self.con.execute("SELECT data FROM blob WHERE name=?", (categories_blob(self.system),)).fetchone()
            if row is not None:
                self.shared["categories"] = bytes(row[0]).decode().split("\n") if row[0] else []
            else:  # an index without the list (an in-memory index of a test)
                self.shared["categories"] = [r[0] for r in self.con.execute(CATEGORIES_SQL, (self.system,) * 3)]
        result: list[str] = self.shared["categories"]
        return result

    def prefetch(self, texts: list[str]) -> None:
        """Look up every single code these note texts name in one query, not one each.

        A page's notes name a dozen or more codes; on a cold start each separate statement costs
        tens of microseconds more than the rows it reads.
        """
        keys = sorted({m.group(1).replace(".", "") for t in texts for m in _REF.finditer(t) if not m.group(2)}
                      - self._exists.keys())  # fmt: skip
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            found: dict[str, str] = {}
            marks = ",".join("?" * len(chunk))
            rows = self.con.execute(
                f"SELECT norm, code FROM rec WHERE norm IN ({marks}) AND +system=? AND kind!='block' ORDER BY id",
                (*chunk, self.system),  # '+system': the norm index, not a scan of the system's records
            )
            for norm, code in rows:
                found.setdefault(norm, code)  # the first in catalogue order, as code() reads it
            for key in chunk:
                self._exists[key] = found.get(key)

    def code(self, text: str) -> str | None:
        """The catalogue's spelling of a named code, or None when the release lacks it."""
        key = text.replace(".", "")
        if key not in self._exists:
            row = self.con.execute(
                "SELECT code FROM rec WHERE system=? AND norm=? AND kind!='block'", (self.system, key)
            ).fetchone()
            self._exists[key] = row[0] if row else None
        return self._exists[key]

    def expand(self, start: str, end: str) -> list[str]:
        """Every category (or code of the ends' length) from ``start`` to ``end``, in code order."""
        key = (start, end)
        if key not in self._ranges:
            if len(start) == 3 and len(end) == 3:
                # A chapter-wide range (S00-T88) spans ~40,000 records in the code index; the
                # ~1,950 categories (children of blocks), read once per session, are cheap to filter.
                # Codes compare as ICD-10-CM orders them (digits before letters: Q99 < QA0).
                self._ranges[key] = [c for c in self.categories() if start <= c <= end]
                return self._ranges[key]
            else:
                width = max(len(start), len(end))
                rows = self.con.execute(
                    "SELECT code FROM rec WHERE system=? AND kind!='block' AND code BETWEEN ? AND ? "
                    "AND length(code)=? ORDER BY id",
                    (self.system, start, end, width),
                ).fetchall()
            self._ranges[key] = [r[0] for r in rows]
        return self._ranges[key]

    def annotate(self, note: dict[str, Any]) -> None:
        """Add ``codes`` (single codes named) and ``ranges`` (expanded) to a note and its items."""
        codes: list[str] = []
        ranges: list[dict[str, Any]] = []
        for m in _REF.finditer(note["text"]):
            start, end = m.group(1), m.group(2)
            if end:
                covered = self.expand(start, end)
                if covered:
                    ranges.append({"range": f"{start}-{end}", "codes": covered})
                continue
            found = self.code(start)
            if found and found not in codes:
                codes.append(found)
        if codes:
            note["codes"] = codes
        if ranges:
            note["ranges"] = ranges
        for item in note.get("items", ()):
            self.annotate(item)


def gather(
    levels: list[tuple[str, str, str, dict[str, Any]]], resolver: NoteResolver
) -> dict[str, list[dict[str, Any]]]:
    """Every note that applies, per section, nearest level first.

    ``levels`` is [(kind, code, title, sections)] from the record itself up to its chapter.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    applying = [
        (kind, code, title, slug, [str(x) for x in items])
        for i, (kind, code, title, sections) in enumerate(levels)
        for slug, inherits in NOTE_SECTIONS.items()
        if (items := sections.get(slug)) and not (i and not inherits)
    ]
    resolver.prefetch([text for *_, texts in applying for text in texts])
    for kind, code, title, slug, texts in applying:
        for note in nest(texts):
            resolver.annotate(note)
            note["level"] = kind
            note["source"] = code
            note["source_title"] = title
            out.setdefault(slug, []).append(note)
    return out


def flat_codes(note: dict[str, Any]) -> list[str]:
    """Every code a note (and its items) names, ranges expanded."""
    out = list(note.get("codes", ()))
    for r in note.get("ranges", ()):
        out += r["codes"]
    for item in note.get("items", ()):
        out += flat_codes(item)
    return out


def claim_context(data: dict[str, Any], con: sqlite3.Connection) -> dict[str, Any] | None:
    """The MS-DRG CC/MCC designation of a billable code and the principal diagnoses that cancel it."""
    level = data.get("cc_mcc")
    if not isinstance(level, str):
        return None
    out: dict[str, Any] = {"version": MS_DRG_VERSION, "designation": level, "meaning": MCC_CC_MEANING}
    number = data.get("cc_exclusion")
    if isinstance(number, str):
        row = con.execute("SELECT data FROM pcs WHERE prefix=?", ("_ccx_" + number,)).fetchone()
        excluded: list[str] = json.loads(row[0]) if row else []
        out["cc_exclusion_collection"] = number
        out["cc_excluded_principal_diagnoses"] = excluded
    elif level != "non-CC":
        out["cc_exclusion_collection"] = None
        out["cc_excluded_principal_diagnoses"] = []
    if data.get("cc_alive_only"):
        out["only_if_discharged_alive"] = True
    if level in ("CC", "MCC"):  # issue 22: the MS-DRG families it can raise
        from .msdrg import raised_drgs

        raised = raised_drgs(con, level)
        if raised:
            out["can_raise_drgs"] = raised
    return out


def claim_summary(first: str, last: str, con: sqlite3.Connection, system: str = SYSTEM) -> dict[str, Any] | None:
    """How the billable codes from ``first`` to ``last`` (a category, block or chapter) divide into
    MCC, CC and non-CC.

    Codes sort by their dotless form, so everything below is one indexed range of ``norm``
    (``E11`` to ``E11~``, ``E08`` to ``E13~``); the designation is the stored ``cc_mcc`` field.
    """
    row = con.execute(
        "SELECT count(*), sum(data LIKE '%\"cc_mcc\":\"MCC\"%'), sum(data LIKE '%\"cc_mcc\":\"CC\"%'), "
        "sum(data LIKE '%\"cc_mcc\":\"non-CC\"%') FROM rec WHERE system=? AND billable=1 AND norm BETWEEN ? AND ?",
        (system, first.replace(".", ""), last.replace(".", "") + "~"),
    ).fetchone()
    total, mcc, cc, non = (int(x or 0) for x in row)
    if not total or mcc + cc + non != total:
        return None
    return {"version": MS_DRG_VERSION, "designation": None, "meaning": MCC_CC_MEANING,
            "billable_codes": {"MCC": mcc, "CC": cc, "non-CC": non}}  # fmt: skip


def is_manifestation(title: str, notes: dict[str, list[dict[str, Any]]]) -> bool:
    """The official convention: 'in diseases classified elsewhere' in the title, with a Code First note."""
    return bool(_MANIFESTATION.search(title)) and bool(notes.get("code_first"))


def _named(note: dict[str, Any]) -> list[str]:
    """Codes and ranges a note names, as written ('E85', 'E00-E07'), items included."""
    out = list(note.get("codes", ())) + [r["range"] for r in note.get("ranges", ())]
    for item in note.get("items", ()):
        out += _named(item)
    return out


def manifestation_text(notes: dict[str, list[dict[str, Any]]]) -> str:
    named: list[str] = []
    for note in notes.get("code_first", ()):
        named += [c for c in _named(note) if c not in named]
    shown = ", ".join(named[:15]) + (f" and {len(named) - 15} more" if len(named) > 15 else "")
    first = f"Code first the underlying condition ({shown})" if named else "Code first the underlying condition"
    return (
        "This is a manifestation code: it describes how another disease shows itself, so it is never "
        f"listed first (never the principal or first-listed diagnosis). {first}, as the Code First note "
        "says, then this code."
    )
