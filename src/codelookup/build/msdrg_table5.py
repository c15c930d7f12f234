"""MS-DRG v43 (FY2026) from CMS IPPS Table 5, as shipped in the ``drg`` 1.0.0 package.

Table 5 lists every MS-DRG with its MDC, type (medical or surgical), title, relative weight
(before and after the 10% cap on reductions), geometric and arithmetic mean length of stay,
and the post-acute transfer and special pay flags. The MDC names come from the same package
(``data/tuva/mdc.csv``, the Tuva Project's copy of CMS's list).

Records are grouped under their MDC (``MDC-08``), the pre-MDC group (``MDC-PRE``: transplants,
ECMO, tracheostomy, assigned before any MDC) and ``MDC-ANY`` for the DRGs that belong to no single
MDC (unrelated operating-room procedures, ungroupable records).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from codelookup.build.sources import Source, locate
from codelookup.errors import CatalogueError

SYSTEM = "MS-DRG"
VERSION = "v43"
RELEASE = "v43 (FY2026, CMS IPPS final rule Table 5; effective 2025-10-01)"
TABLE5 = ("drg", "data/cms/drg_weights.txt")
MDC_NAMES = ("drg", "data/tuva/mdc.csv")
EXPECTED_DRGS = 772  # rows of Table 5 (FY2026 final rule), 001 to 999 with gaps

# Abbreviations kept in capitals when a title is put in readable case.
_KEEP = {
    "MCC": "MCC",
    "CC": "CC",
    "CC/MCC": "CC/MCC",
    "O.R.": "O.R.",
    "NON-O.R.": "non-O.R.",
    "ECMO": "ECMO",
    "MV": "MV",
    "HIV": "HIV",
    "AMI": "AMI",
    "AICD": "AICD",
    "PTCA": "PTCA",
    "CNS": "CNS",
    "D&C": "D&C",
    "C.D.E.": "C.D.E.",
    "AMA": "AMA",
    "TPA": "tPA",
    "URI": "URI",
    "CAR": "CAR",
    "T-CELL": "T-cell",
}
_TOKEN = re.compile(r"^([(\[]*)(.*?)([),.;:\]]*)$")
_SEVERITY = re.compile(r"\s(?:WITH|WITHOUT)\s(?:MCC|CC)\b")


def readable(title: str) -> str:
    """'MAJOR HIP AND KNEE JOINT ... WITHOUT MCC' -> 'Major hip and knee joint ... without MCC'."""
    out: list[str] = []
    for raw in title.split():
        lead, core, tail = _TOKEN.match(raw).groups()  # type: ignore[union-attr]
        word = _KEEP.get(core, core.lower())
        out.append(f"{lead}{word}{tail}")
    text = " ".join(out)
    return text[:1].upper() + text[1:] if text else text


def family_key(mdc: str, title: str) -> str:
    """DRGs that differ only by severity (with MCC / with CC / without CC/MCC) share this key."""
    found = _SEVERITY.search(title)
    base = title[: found.start()] if found else title
    return f"{mdc}|{base.strip()}"


def _number(text: str) -> float | None:
    text = text.strip()
    if not text or text == ".":
        return None
    try:
        return float(text)
    except ValueError:
        raise CatalogueError(f"Table 5: {text!r} is not a number") from None


def read_table5(path: Path) -> list[dict[str, Any]]:
    """The rows of Table 5 (tab-separated text, Windows-1252, two title lines then a header)."""
    try:
        text = path.read_bytes().decode("cp1252")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"cannot read Table 5 {path}: {exc}") from exc
    lines = text.splitlines()
    header_at = next((i for i, line in enumerate(lines) if line.startswith("MS-DRG")), -1)
    if header_at < 0:
        raise CatalogueError(f"{path}: no 'MS-DRG' header line")
    out = []
    for row in csv.reader(lines[header_at + 1 :], delimiter="\t"):
        if not row or not row[0].strip():
            continue
        if len(row) < 10:
            raise CatalogueError(f"{path}: short row {row!r}")
        drg, post_acute, special, mdc, kind, title, before, after, gmlos, amlos = (c.strip() for c in row[:10])
        if not re.fullmatch(r"[0-9]{3}", drg):
            raise CatalogueError(f"{path}: bad MS-DRG {drg!r}")
        out.append(
            {
                "drg": drg,
                "post_acute": post_acute == "Yes",
                "special_pay": special == "Yes",
                "mdc": mdc,
                "type": {"SURG": "surgical", "MED": "medical"}.get(kind, ""),
                "title": title,
                "weight_before_cap": _number(before),
                "weight": _number(after),
                "gmlos": _number(gmlos),
                "amlos": _number(amlos),
            }
        )
    return out


def read_mdc_names(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row[0].strip(): row[1].strip() for row in csv.reader(handle) if row}


def group_code(mdc: str) -> str:
    if mdc == "PRE":
        return "MDC-PRE"
    return f"MDC-{mdc}" if mdc else "MDC-ANY"


def group_title(mdc: str, names: dict[str, str]) -> str:
    if mdc == "PRE":
        return "Pre-MDC: DRGs assigned before any major diagnostic category (transplants, ECMO, tracheostomy)"
    if not mdc:
        return "DRGs not tied to one major diagnostic category (unrelated operating-room procedures, ungroupable)"
    return f"MDC {mdc}: {names.get(mdc, '')}".rstrip(": ")


def records(rows: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """Group records (one per MDC, in MDC order) then one record per DRG, in DRG order."""
    mdcs = sorted({r["mdc"] for r in rows}, key=lambda m: (m != "PRE", m == "", m))
    out: list[dict[str, Any]] = [
        {
            "code": group_code(m),
            "system": SYSTEM,
            "title": group_title(m, names),
            "billable": False,
            "kind": "group",
            "parent": None,
        }
        for m in mdcs
    ]
    families: dict[str, list[str]] = {}
    for r in rows:
        families.setdefault(family_key(r["mdc"], r["title"]), []).append(r["drg"])
    for r in rows:
        family = [d for d in families[family_key(r["mdc"], r["title"])] if d != r["drg"]]
        rec: dict[str, Any] = {
            "code": r["drg"],
            "system": SYSTEM,
            "title": readable(r["title"]),
            "billable": r["type"] != "",  # 998 and 999 are error groups, not payable DRGs
            "kind": "code",
            "parent": group_code(r["mdc"]),
            "drg": {
                "version": VERSION,
                "mdc": r["mdc"] or None,
                "mdc_name": (names.get(r["mdc"]) if r["mdc"] not in ("", "PRE") else group_title(r["mdc"], names)),
                "type": r["type"] or None,
                "weight": r["weight"],
                "weight_before_cap": r["weight_before_cap"],
                "gmlos": r["gmlos"],
                "amlos": r["amlos"],
                "post_acute": r["post_acute"],
                "special_pay": r["special_pay"],
                "family": family,
                "table_title": r["title"],
            },
        }
        out.append(rec)
    return out


def build_msdrg(systems: dict[str, Any]) -> list[dict[str, Any]]:
    table: Source = locate(TABLE5)
    names_src = locate(MDC_NAMES)
    rows = read_table5(table.path)
    if len(rows) != EXPECTED_DRGS:
        raise CatalogueError(f"Table 5 has {len(rows)} MS-DRGs, expected {EXPECTED_DRGS}")
    out = records(rows, read_mdc_names(names_src.path))
    systems[SYSTEM] = {
        "name": SYSTEM,
        "release": RELEASE,
        "source": f"PyPI package {table.distribution} {table.version} (CMS FY2026 IPPS final rule Table 5)",
        "source_file": f"{TABLE5[0]}/{TABLE5[1]}; {MDC_NAMES[0]}/{MDC_NAMES[1]}",
        "publisher": "Centers for Medicare & Medicaid Services (CMS)",
        "licence": "US public domain",
        "counts": {
            "records": len(out),
            "drgs": len(rows),
            "billable": sum(1 for r in out if r["billable"]),
            "surgical": sum(1 for r in rows if r["type"] == "surgical"),
            "medical": sum(1 for r in rows if r["type"] == "medical"),
        },
        "notes": (
            "Titles are CMS's, put in readable case (abbreviations such as MCC, CC and O.R. kept). "
            "'weight' is the FY2026 relative weight with the 10% cap on reductions applied (the "
            "payment weight); 'weight_before_cap' is the uncapped figure. 998 and 999 are error "
            "groups (invalid principal diagnosis, ungroupable) without weights."
        ),
    }
    return out
