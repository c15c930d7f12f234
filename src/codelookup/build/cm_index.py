"""Build the indexes coders work from into one compact companion file, ``data/indexes.json.gz``.

Coders look a term up in an index and then verify the code in the tabular list, so the
catalogue alone (titles) misses every clinical name that is not in a title. This module reads
the vendored releases under ``data/sources/`` and writes them, unchanged in meaning, as flat
preorder lists of entries (one list per "book"):

- ``cm``: the ICD-10-CM Alphabetic Index (Index to Diseases and Injuries). Only a third
  party's lossy CSV flattening of the FY2025 index is bundled: it is labelled "derived, FY2025"
  everywhere, and ``codelookup import icd10cm-index`` replaces it with an official XML;
- ``ecm``: the official FY2025 External Cause of Injuries Index;
- ``neoplasm`` and ``drug``: the official FY2025 Neoplasm Table and Table of Drugs and
  Chemicals (six code columns per row);
- ``pcs``: the official FY2025 ICD-10-PCS Index.

Every code an index names is checked against the bundled tabular (the catalogue): a code that
no longer exists is kept, and the build's report counts it with its nearest valid parent.

An entry is ``[level, title, nemod, codes, see, see_also, use, cells]``: ``title`` without its
nonessential modifiers, ``nemod`` the modifiers ("(acute) (chronic)"), ``codes`` the code(s) the
line gives (a trailing ``-`` means "more characters needed"), ``cells`` the six table columns
(``""`` for none). Same inputs, same bytes: the JSON is dumped with fixed settings and gzipped
with a zero timestamp.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from codelookup.errors import CatalogueError
from codelookup.systems import registry

FORMAT = "codelookup-indexes"
VERSION = 1
SOURCES = Path("data") / "sources"
CM_DERIVED = Path("cm_fy2025_index_derived") / "ICD10CM_2025_Index.derived.csv"
CM_TABLES = Path("cm_fy2025_tables")
EINDEX = CM_TABLES / "icd-10-cm-eindex-2025.xml"
NEOPLASM = CM_TABLES / "icd-10-cm-neoplasm-2025.xml"
DRUG = CM_TABLES / "icd-10-cm-drug-2025.xml"
PCS_INDEX = Path("pcs_fy2025_index") / "icd10pcs_index_2025.xml"

Entry = list[Any]
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9.]*-?$")

NEOPLASM_HEADS = (
    "Malignant Primary",
    "Malignant Secondary",
    "Ca in situ",
    "Benign",
    "Uncertain Behavior",
    "Unspecified Behavior",
)
DRUG_HEADS = (
    "Poisoning, Accidental (unintentional)",
    "Poisoning, Intentional self-harm",
    "Poisoning, Assault",
    "Poisoning, Undetermined",
    "Adverse effect",
    "Underdosing",
)

BOOKS: dict[str, dict[str, str]] = {
    "cm": {
        "name": "ICD-10-CM Alphabetic Index",
        "release": "FY2025",
        "origin": "derived, FY2025",
        "source": "third-party CSV flattening of the CDC FY2025 Index to Diseases and Injuries "
        "(wbdill/Python-sandbox01, ICD10CM_2025_Index.csv)",
        "licence": "derived from US public-domain data (not official)",
        "notes": "Lossy: text after a nonessential modifier, the second code of a pair and "
        "'see category' references are missing. Replace it with the official XML: "
        "codelookup import icd10cm-index FILE.",
    },
    "ecm": {
        "name": "ICD-10-CM External Cause of Injuries Index",
        "release": "FY2025",
        "origin": "official",
        "source": "CDC/NCHS icd-10-cm-eindex-2025.xml",
        "licence": "US public domain",
    },
    "neoplasm": {
        "name": "ICD-10-CM Neoplasm Table",
        "release": "FY2025",
        "origin": "official",
        "source": "CDC/NCHS icd-10-cm-neoplasm-2025.xml",
        "licence": "US public domain",
    },
    "drug": {
        "name": "ICD-10-CM Table of Drugs and Chemicals",
        "release": "FY2025",
        "origin": "official",
        "source": "CDC/NCHS icd-10-cm-drug-2025.xml",
        "licence": "US public domain",
    },
    "pcs": {
        "name": "ICD-10-PCS Index",
        "release": "FY2025",
        "origin": "official",
        "source": "CMS icd10pcs_index_2025.xml",
        "licence": "US public domain",
    },
}


# -- parsing ---------------------------------------------------------------------------------
def _text(el: ET.Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _title(el: ET.Element | None) -> tuple[str, str]:
    """(essential title, nonessential modifiers) of a <title> element."""
    if el is None:
        return "", ""
    parts = [el.text or ""]
    mods: list[str] = []
    for child in el:
        if child.tag == "nemod":
            mods.append(_text(child))
        else:
            parts.append(_text(child))
        parts.append(child.tail or "")
    return " ".join(" ".join(parts).split()), " ".join(mods)


def _entry(el: ET.Element, level: int, ncols: int) -> Entry:
    title, nemod = _title(el.find("title"))
    codes: list[str] = []
    see = see_also = use = ""
    cells = [""] * ncols
    for child in el:
        tag = child.tag
        if tag in ("code", "codes", "tab", "subcat", "manif"):
            value = _text(child)
            if _CODE.match(value):
                codes.append(value)
            elif value:  # a <manif> that is words, e.g. 'ventral surface of tongue…': a qualifier
                nemod = f"{nemod} ({value})".strip()
        elif tag in ("see", "seecat"):
            see = " ".join((child.text or "").split()) if tag == "see" else "category " + _text(child)
            codes.extend(_text(c) for c in child if c.tag in ("code", "codes", "tab") and _text(c))
        elif tag == "seeAlso":
            see_also = " ".join((child.text or "").split())
            codes.extend(_text(c) for c in child if c.tag in ("code", "codes", "tab") and _text(c))
        elif tag == "use":
            use = _text(child)
        elif tag == "cell":
            col = int(child.get("col", "0")) - 2
            value = _text(child)
            if 0 <= col < ncols and value.strip("-"):
                cells[col] = value
    return [level, title, nemod, codes, see, see_also, use, cells if ncols else []]


def parse_index_xml(path: Path, ncols: int = 0) -> tuple[list[Entry], dict[str, str]]:
    """Entries of an ICD-10-CM/PCS index or table XML (``ICD10CM.index`` / ``ICD10PCS.index``)."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise CatalogueError(f"{path}: not a readable index XML ({exc})") from None
    if root.tag not in ("ICD10CM.index", "ICD10PCS.index"):
        raise CatalogueError(f"{path}: not an ICD-10 index XML (root element <{root.tag}>)")
    info = {
        "version": _text(root.find("version")),
        "title": _text(root.find("title")),
        "table": "yes" if root.find("indexHeading") is not None else "",
    }
    out: list[Entry] = []

    def walk(el: ET.Element, level: int) -> None:
        out.append(_entry(el, level, ncols))
        for child in el.findall("term"):
            walk(child, level + 1)

    for letter in root.findall("letter"):
        for main in letter.findall("mainTerm"):
            walk(main, 0)
    if not out:
        raise CatalogueError(f"{path}: the index XML holds no terms")
    return out, info


def parse_derived_csv(path: Path) -> list[Entry]:
    """The derived CSV: RowID, Letter, Level, Term, See, SeeAlso, NonEssModif, Code."""
    out: list[Entry] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                level = int(row["Level"])
                codes = [row["Code"].strip()] if row["Code"].strip() else []
                out.append(
                    [
                        level,
                        " ".join(row["Term"].split()),
                        " ".join(row["NonEssModif"].split()),
                        codes,
                        " ".join(row["See"].split()),
                        " ".join(row["SeeAlso"].split()),
                        "",
                        [],
                    ]
                )
    except (OSError, KeyError, ValueError) as exc:
        raise CatalogueError(f"{path}: not the derived index CSV ({exc})") from None
    return out


# -- checking against the tabular ------------------------------------------------------------
def norm(code: str) -> str:
    return code.replace(".", "").replace("-", "").strip().upper()


def nearest(code: str, known: Mapping[str, Any] | set[str]) -> str | None:
    """The longest prefix of ``code`` (normalised) that is a known code, or None."""
    key = norm(code)
    while key:
        if key in known:
            return key
        key = key[:-1]
    return None


def entry_codes(entry: Entry) -> Iterable[str]:
    yield from entry[3]
    yield from (c for c in entry[7] if c)


def check_book(name: str, entries: list[Entry], cm: Mapping[str, str], pcs: set[str]) -> dict[str, Any]:
    """Counts for the build report: references, valid, incomplete and stale (with parents)."""
    refs = valid = incomplete = 0
    stale: dict[str, str] = {}
    for entry in entries:
        for code in entry_codes(entry):
            refs += 1
            key = norm(code)
            ok = key in pcs if name == "pcs" else key in cm
            if code.endswith("-"):
                incomplete += 1
            if ok:
                valid += 1
                continue
            parent = nearest(code, pcs if name == "pcs" else cm)
            stale[code] = "" if parent is None else (cm.get(parent, parent) if name != "pcs" else parent)
    return {
        "entries": len(entries),
        "code_references": refs,
        "valid": valid,
        "incomplete": incomplete,
        "stale": len(stale),
        "stale_codes": dict(sorted(stale.items())),
    }


def catalogue_codes(records: Iterable[Mapping[str, Any]]) -> tuple[dict[str, str], set[str]]:
    """ICD-10-CM normalised code -> code as written, and every ICD-10-PCS code and prefix."""
    cm: dict[str, str] = {}
    pcs: set[str] = set()
    for rec in records:
        code = str(rec.get("code", ""))
        system = str(rec.get("system", ""))
        if registry.has(system, "seventh_characters"):  # the tabular the CM books point into
            cm[norm(code)] = code
        elif registry.has(system, "has_axes") and rec.get("kind") == "code":  # PCS: tables and partial codes
            key = norm(code)
            pcs.update(key[:n] for n in range(1, len(key) + 1))
    return cm, pcs


def read_catalogue_codes(path: Path) -> tuple[dict[str, str], set[str]]:
    """The codes of a built catalogue file (line-per-record layout)."""
    records: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith('{"') and '"system"' in line:
                records.append(json.loads(line.rstrip().rstrip(",")))
    return catalogue_codes(records)


# -- assembling ------------------------------------------------------------------------------
def load_books(sources: Path) -> dict[str, dict[str, Any]]:
    books: dict[str, dict[str, Any]] = {}
    books["cm"] = dict(BOOKS["cm"], heads=[], entries=parse_derived_csv(sources / CM_DERIVED))
    books["ecm"] = dict(BOOKS["ecm"], heads=[], entries=parse_index_xml(sources / EINDEX)[0])
    books["neoplasm"] = dict(
        BOOKS["neoplasm"], heads=list(NEOPLASM_HEADS), entries=parse_index_xml(sources / NEOPLASM, 6)[0]
    )
    books["drug"] = dict(BOOKS["drug"], heads=list(DRUG_HEADS), entries=parse_index_xml(sources / DRUG, 6)[0])
    books["pcs"] = dict(BOOKS["pcs"], heads=[], entries=parse_index_xml(sources / PCS_INDEX)[0])
    return books


def assemble(books: dict[str, dict[str, Any]], cm: Mapping[str, str], pcs: set[str]) -> dict[str, Any]:
    report = {name: check_book(name, book["entries"], cm, pcs) for name, book in books.items()}
    return {"format": FORMAT, "version": VERSION, "books": books, "report": report}


def dumps(doc: Mapping[str, Any]) -> bytes:
    """Deterministic bytes: fixed JSON settings and a gzip header without a timestamp."""
    raw = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return gzip.compress(raw, compresslevel=9, mtime=0)


def build(sources: Path, records: Iterable[Mapping[str, Any]]) -> tuple[bytes, dict[str, Any]]:
    """The companion file's bytes and the build report, checked against ``records``."""
    cm, pcs = catalogue_codes(records)
    doc = assemble(load_books(sources), cm, pcs)
    return dumps(doc), doc["report"]


def summary(report: Mapping[str, Any]) -> str:
    """One line per book for the build's console report."""
    lines = []
    for name, r in report.items():
        lines.append(
            f"{name}: {r['entries']:,} entries, {r['code_references']:,} code references, "
            f"{r['valid']:,} valid, {r['incomplete']:,} incomplete ('-'), {r['stale']:,} no longer codes"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m codelookup.build.cm_index``: rebuild data/indexes.json.gz from the catalogue."""
    import argparse
    import sys

    from codelookup.build.sources import repository_root
    from codelookup.build.writer import write_atomic

    root = repository_root()
    parser = argparse.ArgumentParser(prog="python -m codelookup.build.cm_index", description=main.__doc__)
    parser.add_argument("--catalogue", type=Path, default=root / "data" / "codes.json")
    parser.add_argument("--sources", type=Path, default=root / SOURCES)
    parser.add_argument("--output", type=Path, default=root / "data" / "indexes.json.gz")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file on disk differs")
    args = parser.parse_args(argv)
    try:
        cm, pcs = read_catalogue_codes(args.catalogue)
        doc = assemble(load_books(args.sources), cm, pcs)
    except (CatalogueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    data = dumps(doc)
    print(summary(doc["report"]), file=sys.stderr)
    if args.check:
        same = args.output.is_file() and args.output.read_bytes() == data
        print(f"{args.output}: {'matches the rebuild' if same else 'differs from the rebuild'}", file=sys.stderr)
        return 0 if same else 1
    write_atomic(args.output, data)
    print(f"wrote {args.output} ({len(data):,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
